/** SIGKILL and restart from committing to the report (`crash-cases.ts`). */
import { crashSuite } from './crash-cases.js';

crashSuite(['committing', 'postinstall', 'reporting']);
