#!/usr/bin/env node
/**
 * The nnkit command line. `nnkit demo` trains the lecture's two-layer net on the bundled digits.
 * Exit codes: 0 when the command ran, 2 for bad arguments, 1 otherwise.
 */
import { NnError } from './errors';

const USAGE = `Usage: nnkit <command>

Commands:
  demo [--epochs N] [--seed N]   train the lecture's two-layer net on the bundled 8x8 digits
  help                           show this text
  version                        print nnkit's version and the kernel path in use`;

function parseFlags(args: string[], allowed: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i];
    const name = flag.replace(/^--/, '');
    if (!flag.startsWith('--') || !allowed.includes(name)) throw new NnError('NNKIT_ERR_ARG', `Expected one of ${allowed.map((a) => `--${a}`).join(', ')} for flag but received '${flag}'`);
    const value = Number(args[i + 1]);
    if (!Number.isInteger(value) || value < (name === 'seed' ? 0 : 1)) {
      throw new NnError('NNKIT_ERR_ARG', `Expected ${name === 'seed' ? 'non-negative' : 'positive'} integer for --${name} but received ${args[i + 1] === undefined ? 'nothing' : `'${args[i + 1]}'`}`);
    }
    out[name] = value;
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  const [command = 'help', ...rest] = argv;
  switch (command) {
    case 'demo': {
      const flags = parseFlags(rest, ['epochs', 'seed']);
      const { runDemo } = await import('./demo');
      await runDemo({ epochs: flags.epochs, seed: flags.seed, verbose: true });
      return 0;
    }
    case 'version':
    case '--version': {
      const { linalg } = await import('./linalg');
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      console.log(`nnkit ${require('../package.json').version} (kernels: ${linalg.isa})`);
      return 0;
    }
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      throw new NnError('NNKIT_ERR_ARG', `Expected a command (demo, help, version) but received '${command}'\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const e = err as Error & { code?: string };
    console.error(`nnkit: ${e.message}`);
    process.exitCode = e instanceof NnError && (e.code === 'NNKIT_ERR_ARG' || e.code === 'NNKIT_ERR_DATA') ? 2 : 1;
  },
);
