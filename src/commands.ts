/**
 * Machine → world. Every named command action of the machine is routed to one handler that receives a typed
 * `Command`; the simulator, the AgentSession bridge and the tests all create their actor through this one function.
 *
 * The actions are provided once, for every actor: each looks up its own actor's handler. Providing them per call
 * (`machine.provide()`) rebuilt the whole state-node tree for every call, a fifth of a simulated call's time.
 */
import { createActor, type ActorOptions, type AnyActorRef } from 'xstate';
import { callMachine, type CallMachine } from '../machines/call.machine.js';
import { COMMAND_TYPES, type Command, type Commands } from '../machines/events.js';

export type CommandHandler = (command: Command) => void;

type CommandImplementations = { [K in keyof Commands]: (args: { self: AnyActorRef }, params: Commands[K]) => void };

const handlers = new WeakMap<AnyActorRef, CommandHandler>();

const commandedMachine = callMachine.provide({
  actions: Object.fromEntries(
    COMMAND_TYPES.map((type) => [type, ({ self }: { self: AnyActorRef }, params: object) => handlers.get(self)?.({ type, ...params } as Command)]),
  ) as CommandImplementations,
});

/** An actor of the call machine whose commands all go to `handle`. */
export function createCallActor(handle: CommandHandler, options: ActorOptions<CallMachine> & { input: ActorOptions<CallMachine>['input'] }) {
  const actor = createActor(commandedMachine, options);
  handlers.set(actor, handle);
  return actor;
}
