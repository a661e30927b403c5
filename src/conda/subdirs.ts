// The subdirs conda knows (conda.base.constants.KNOWN_SUBDIRS): the platforms plus noarch. Staging accepts
// artifacts only in these (or the list a config gives instead); anything else is a stray.
export const KNOWN_SUBDIRS: readonly string[] = [
  'noarch',
  'emscripten-wasm32',
  'wasi-wasm32',
  'freebsd-64',
  'linux-32',
  'linux-64',
  'linux-aarch64',
  'linux-armv6l',
  'linux-armv7l',
  'linux-ppc64',
  'linux-ppc64le',
  'linux-riscv64',
  'linux-s390x',
  'osx-64',
  'osx-arm64',
  'win-32',
  'win-64',
  'win-arm64',
  'zos-z',
];

/** `label/` holds a channel's other labels: a subdir of that name would publish into that namespace. */
export const RESERVED_SUBDIRS: readonly string[] = ['label'];
