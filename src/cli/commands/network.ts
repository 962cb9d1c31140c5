import type { Command } from 'commander';
import type { Endpoint, NetworkView } from '../../contract/networks.js';
import { invalid } from '../../lib/errors.js';
import { action, printJson, printTable } from '../output.js';
import { clientOf, collect, globals, wholeNumber } from '../options.js';

const shown = (network: NetworkView): Array<[string, string | number]> => [
  ['name', network.name],
  ['subnet', network.subnet],
  ['gateway', network.gateway],
  ['range', `${network.range.from}-${network.range.to}`],
  ['vlan', network.vlan ?? '-'],
  ['pods', network.pods.join(', ') || 'any'],
  ['addresses', `${network.used} used, ${network.free} free of ${network.size}`],
];

/** `eru network`: Eru's MacVLAN networks and their address pools; `eru endpoints`: where an app answers. */
export function registerNetwork(program: Command): void {
  const network = program.command('network').description("MacVLAN networks: containers get their own addresses from Eru's pools");

  network
    .command('add')
    .description('add a network; nodes need a macvlan parent (eru node set NODE --macvlan-parent IFACE)')
    .argument('<name>')
    .requiredOption('--subnet <cidr>', 'e.g. 10.20.0.0/24')
    .option('--gateway <ip>', 'default: the first address of the subnet')
    .option('--range <from-to>', 'the addresses Eru hands out, e.g. 10.20.0.10-10.20.0.99 (default: the whole subnet)')
    .option('--vlan <id>', '802.1q VLAN: the parent on each node is IFACE.ID', wholeNumber('vlan'))
    .option('--pod <pod>', 'a pod that may use it (repeatable; default: any)', collect)
    .action(
      action(async (name: string, options: { subnet: string; gateway?: string; range?: string; vlan?: number; pod?: string[] }, command: Command) => {
        const added = await clientOf(command).networks.add({
          name,
          subnet: options.subnet,
          ...(options.gateway ? { gateway: options.gateway } : {}),
          ...(options.range ? { range: options.range } : {}),
          ...(options.vlan !== undefined ? { vlan: options.vlan } : {}),
          pods: options.pod ?? [],
        });
        if (globals(command).json) return printJson(added);
        console.log(`network ${added.name} added: ${added.subnet}, ${added.size} addresses from ${added.range.from} to ${added.range.to}${added.vlan ? `, VLAN ${added.vlan}` : ''}`);
      }),
    );

  network
    .command('ls')
    .description('list networks')
    .action(
      action(async (_options: unknown, command: Command) => {
        const networks = await clientOf(command).networks.list();
        if (globals(command).json) return printJson(networks);
        printTable([
          ['NAME', 'SUBNET', 'GATEWAY', 'VLAN', 'USED', 'FREE', 'PODS'],
          ...networks.map((n) => [n.name, n.subnet, n.gateway, n.vlan ?? '-', n.used, n.free, n.pods.join(',') || 'any']),
        ]);
      }),
    );

  network
    .command('show')
    .description('show a network and who holds each address')
    .argument('<name>')
    .action(
      action(async (name: string, _options: unknown, command: Command) => {
        const found = await clientOf(command).networks.get(name);
        if (globals(command).json) return printJson(found);
        printTable(shown(found));
        if (found.holders.length === 0) return;
        console.log('');
        printTable([['ADDRESS', 'WORKLOAD', 'NODE'], ...found.holders.map((h) => [h.address, h.workload, h.node])]);
      }),
    );

  network
    .command('rm')
    .description('remove a network (refused while any address is held)')
    .argument('<name>')
    .action(
      action(async (name: string, _options: unknown, command: Command) => {
        const removed = await clientOf(command).networks.remove(name);
        if (globals(command).json) printJson(removed);
        else console.log(`network ${removed.name} removed`);
      }),
    );

  network
    .command('connect')
    .description('connect a running workload to a network')
    .argument('<workload>')
    .argument('<network>')
    .option('--ip <address>', 'this address instead of the next free one')
    .action(
      action(async (ref: string, name: string, options: { ip?: string }, command: Command) => {
        const workload = await clientOf(command).workloads.connect(ref, { network: name, ...(options.ip ? { address: options.ip } : {}) });
        if (globals(command).json) return printJson(workload);
        console.log(`${workload.id} joined ${name} as ${workload.addresses.find((a) => a.network === name)?.address}`);
      }),
    );

  network
    .command('disconnect')
    .description('disconnect a workload from a network; its address is free again')
    .argument('<workload>')
    .argument('<network>')
    .action(
      action(async (ref: string, name: string, _options: unknown, command: Command) => {
        const workload = await clientOf(command).workloads.disconnect(ref, name);
        if (globals(command).json) return printJson(workload);
        console.log(`${workload.id} left ${name}`);
      }),
    );

  program
    .command('endpoints')
    .description("where an app answers: each workload's addresses and the entrypoint's ports (--watch: print each change)")
    .argument('<app>')
    .option('--entry <entry>')
    .option('--pod <pod>')
    .option('--healthy', 'only healthy workloads')
    .option('--watch', 'keep printing the list whenever it changes')
    .action(
      action(async (app: string, options: { entry?: string; pod?: string; healthy?: boolean; watch?: boolean }, command: Command) => {
        const client = clientOf(command);
        const json = globals(command).json;
        const keep = (e: Endpoint): boolean => (options.entry === undefined || e.entry === options.entry) && (options.pod === undefined || e.pod === options.pod) && (!options.healthy || e.healthy);
        const print = (endpoints: Endpoint[]): void => {
          if (json) return void process.stdout.write(`${JSON.stringify(endpoints)}\n`);
          printTable([
            ['WORKLOAD', 'ENTRY', 'NODE', 'NETWORK', 'ADDRESS', 'PORTS', 'STATE'],
            ...endpoints.map((e) => [e.workload, e.entry, e.node, e.network, e.address, e.ports.join(',') || '-', e.healthy ? 'healthy' : e.running ? 'running' : 'down']),
          ]);
        };
        const filter = { ...(options.entry ? { entry: options.entry } : {}), ...(options.pod ? { pod: options.pod } : {}), ...(options.healthy ? { healthy: true } : {}) };
        if (!options.watch) return print(await client.apps.endpoints(app, filter));
        // The watch is open before the first list is read, so no change falls between the two.
        let opened!: () => void;
        const open = new Promise<void>((resolve) => (opened = resolve));
        const events = client.events({ app, type: 'endpoints.changed' }, () => opened())[Symbol.asyncIterator]();
        let next = events.next();
        await Promise.race([open, next]);
        print(await client.apps.endpoints(app, filter));
        for (let item = await next; !item.done; item = await next) {
          if (!json) console.log(`\n${item.value.time}`);
          print((item.value.data.endpoints as Endpoint[]).filter(keep));
          next = events.next();
        }
      }),
    );
}

/** `--network NET[:ADDR[,ADDR|FROM-TO]...]` → the deploy body's networks; `host` is host mode. */
export function networksBody(specs: readonly string[]): { networks: Array<{ name: string; addresses: string[] }>; hostNetwork: boolean } {
  const networks: Array<{ name: string; addresses: string[] }> = [];
  let hostNetwork = false;
  for (const spec of specs) {
    const [name, addresses] = spec.split(/:(.*)/s) as [string, string | undefined];
    if (name === 'host') {
      if (addresses) throw invalid(['network'], 'host mode takes no addresses');
      hostNetwork = true;
      continue;
    }
    if (!name) throw invalid(['network'], `"${spec}" is not NET[:ADDRESS,...]`);
    networks.push({ name, addresses: addresses ? addresses.split(',').filter(Boolean) : [] });
  }
  return { networks, hostNetwork };
}
