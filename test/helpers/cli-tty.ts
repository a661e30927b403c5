// Run the built CLI on a pseudo-terminal of a given width, as a person at a terminal runs it (python3's pty module:
// stdout and stderr are both the terminal, so what comes back is what the screen got, escape sequences included).
import { spawn } from 'node:child_process';
import { CLI } from './paths.js';

const PTY = `
import fcntl, os, pty, struct, sys, termios
cols = int(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack('HHHH', 24, cols, 0, 0))
    os.execv(sys.argv[2], sys.argv[2:])
out = b''
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
sys.stdout.buffer.write(out)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, 'waitstatus_to_exitcode') else status >> 8)
`;

export function runCliOnTty(
  args: string[],
  columns: number,
  opts: { env?: Record<string, string> } = {},
): Promise<{ code: number | null; screen: string }> {
  return new Promise((resolve, reject) => {
    const inherited: NodeJS.ProcessEnv = { ...process.env };
    delete inherited['COLUMNS']; // the terminal's width decides, unless a test sets COLUMNS itself
    const env = { ...inherited, FORGEGATE_FAULT: '', GITHUB_STEP_SUMMARY: '', ...opts.env };
    const child = spawn('python3', ['-c', PTY, String(columns), process.execPath, CLI, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let screen = '';
    child.stdout.on('data', (c: Buffer) => (screen += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, screen }));
  });
}
