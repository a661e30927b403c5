// The demo's one .tar.bz2, as it was built: forgegate reads bzip2 but ships no compressor. The bytes are what
// test/helpers/packages.ts writes for LIBDEMO_SPEC (test/demo/demo.test.ts checks they still are).
export const LIBDEMO_SPEC = {
  name: 'libdemo',
  version: '2.1',
  build: 'h1a2b3c_0',
  subdir: 'linux-64',
  format: 'tar.bz2',
} as const;

export const LIBDEMO_FILENAME = 'libdemo-2.1-h1a2b3c_0.tar.bz2';

export const LIBDEMO_TAR_BZ2: Buffer = Buffer.from(
  'QlpoOTFBWSZTWf6dATQAAcB/kf4QEgBQB//0PgY5Cv9/33oEAABAAAhAAd1drQrBUkpqqp//qqp/+0Kqj/8Kqn/5VU//VVH/7JVU' +
    'f/qqgf/qqmP/VUH/qqf+VUf/qqgAP/1VR/44AAYAAAAAAAAAJQkZNBpMk2qPakqn/+gqqP9qqP/1VT/VT/wqp/5VP8PSVT/ZKp/j' +
    'VUEiJA1TRsRVU//VVP/wqqD/8VVAAf/qqn/6qoP/yqo//FVQf/qqj/8qqfViHHueZC8LD8TATuQgWvdt3+QvCQYGBjWN1jAnRSC1' +
    'iiNHDd676Yyqiqi/C/hBUQZpByITbTYwbTkGHpk26PHPHHth7mj1z6/Vj4x4ivy5KR3KCKqKqqGCFvmyqm/vu2ZDU844ythtKPFQ' +
    'merI6lyE+vmfa89lApLdHdWtTbWHgv+fQHCOebUtslXNi9yUafGyYKXtvp/dmXWl0hkHQ1f2drnTWyA/akB4mQqGDwmgTQTFQuh2' +
    'MtQTwrh2VW1k0CZ0ILfk6f3hgAVhwRpcfRM04pD+op7Jm2w8169Xbtw0b+FIbsZsNm3GvmhVAOfegtCZUW5X2ckPnysOxb5/KTup' +
    'msQfpZ7YF9UyQ+7kJ9bR+iv9Uz6jKSTkbWtZUZIiaTB3VHlnzoSJJfAlp+dafl1iLFTdnvu5IjuE2ujB6oNqNiyJImlpofy+KhfM' +
    'IpYN0lLL6OlzXC9CMAdehKwR2ibIrn6Aw99BF3818vO9ktIPwu5IpwoSH9OgJoA=',
  'base64',
);
