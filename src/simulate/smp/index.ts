/** Simulated SMP modules on pseudo-terminals (`module-protocols.md`, "Simulated modules"). */
export { type SmpModuleOptions, type SmpSimulatedModule, startSmpModule } from './module.js';
