import { execFileSync } from 'node:child_process';

function run(command: string, args: string[], ignoreErrors: boolean): void {
  try {
    execFileSync(command, args, { stdio: 'pipe' });
  } catch (error) {
    if (!ignoreErrors) throw new Error(`${command} ${args.join(' ')}: ${(error as { stderr?: Buffer }).stderr?.toString() ?? error}`);
  }
}

const ip = (args: string[], ignoreErrors = false): void => run('ip', args, ignoreErrors);
const iptables = (args: string[], ignoreErrors = false): void => run('iptables', args, ignoreErrors);

/**
 * An L2 network made of loopback-only parts, standing in for hosts on a switch: a Linux bridge per
 * VLAN (the switch's broadcast domains) and, per simulated host, a veth pair whose host end is the
 * node's macvlan parent and whose other end is plugged into the bridge of its VLAN. No real interface
 * is used and nothing leaves the machine.
 *
 * The kernels this runs on may lack 802.1q, so a VLAN's parent `IFACE.VLAN` (which Docker would make
 * as a tagged sub-interface of IFACE) is made here as its own veth into that VLAN's bridge: what
 * Eru sees — the parent it names, the isolation between VLANs — is the same.
 */
export class L2Switch {
  private readonly links: string[] = [];
  private readonly bridges = new Set<string>();

  private constructor(private readonly tag: string) {}

  /** `tag`: up to 4 letters or digits, unique to the test, part of every interface name. */
  static create(tag: string): L2Switch {
    if (!/^[a-z0-9]{1,4}$/.test(tag)) throw new Error(`tag ${tag}: 1 to 4 lowercase letters or digits`);
    return new L2Switch(tag);
  }

  /** The parent name of host number `host` (without a VLAN suffix); plug it in before use. */
  parent(host: number): string {
    return `ev${this.tag}h${host}`;
  }

  /** Plugs host `host` into the switch, untagged or on `vlan`: returns the interface Eru uses as the parent there. */
  plug(host: number, vlan?: number): string {
    const bridge = `eb${this.tag}v${vlan ?? 0}`;
    if (!this.bridges.has(bridge)) {
      ip(['link', 'del', bridge], true);
      ip(['link', 'add', bridge, 'type', 'bridge']);
      // Docker turns on iptables for bridged frames and sets FORWARD to DROP: this switch's own frames pass.
      iptables(['-I', 'FORWARD', '-i', bridge, '-o', bridge, '-j', 'ACCEPT']);
      ip(['link', 'set', bridge, 'up']);
      this.bridges.add(bridge);
    }
    const hostEnd = vlan === undefined ? this.parent(host) : `${this.parent(host)}.${vlan}`;
    const switchEnd = `es${this.tag}${host}v${vlan ?? 0}`;
    ip(['link', 'del', hostEnd], true);
    ip(['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', switchEnd]);
    ip(['link', 'set', switchEnd, 'master', bridge]);
    ip(['link', 'set', switchEnd, 'up']);
    ip(['link', 'set', hostEnd, 'up']);
    this.links.push(hostEnd);
    return hostEnd;
  }

  remove(): void {
    for (const link of this.links) ip(['link', 'del', link], true);
    for (const bridge of this.bridges) {
      iptables(['-D', 'FORWARD', '-i', bridge, '-o', bridge, '-j', 'ACCEPT'], true);
      ip(['link', 'del', bridge], true);
    }
  }
}
