/** SIGKILL and restart in the steps up to the transfer (`crash-cases.ts`). */
import { crashSuite } from './crash-cases.js';

crashSuite(['downloading', 'preinstall', 'transferring', 'verifying-target']);
