/**
 * Machine → world. Every named command action of the machine is routed to one handler that receives a typed
 * `Command`; the simulator, the AgentSession bridge and the tests all provide the machine through this one function.
 */
import { callMachine } from '../machines/call.machine.js';
import { COMMAND_TYPES, type Command, type Commands } from '../machines/events.js';

export type CommandHandler = (command: Command) => void;

type CommandImplementations = { [K in keyof Commands]: (args: unknown, params: Commands[K]) => void };

export function machineWithCommands(handle: CommandHandler) {
  const actions = Object.fromEntries(
    COMMAND_TYPES.map((type) => [type, (_args: unknown, params: object) => handle({ type, ...params } as Command)]),
  ) as CommandImplementations;
  return callMachine.provide({ actions });
}
