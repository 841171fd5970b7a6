/** The webhook SSRF guard over address ranges (IPv4, IPv6, embedded IPv4), URL forms and DNS answers. */
import fc from 'fast-check';
import { checkWebhookTarget, checkWebhookUrl, classifyAddress, type Lookup } from '../../src/monitoring/webhook-target';

const STRICT = { allowHttpLoopback: false };
const TESTS = { allowHttpLoopback: true };

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'PUBLIC'],
    ['1.1.1.1', 'PUBLIC'],
    ['172.32.0.1', 'PUBLIC'],
    ['100.128.0.1', 'PUBLIC'],
    ['0.0.0.0', 'UNSPECIFIED'],
    ['0.1.2.3', 'UNSPECIFIED'],
    ['127.0.0.1', 'LOOPBACK'],
    ['127.255.255.254', 'LOOPBACK'],
    ['10.0.0.1', 'PRIVATE'],
    ['172.16.0.1', 'PRIVATE'],
    ['172.31.255.255', 'PRIVATE'],
    ['192.168.1.1', 'PRIVATE'],
    ['100.64.0.1', 'PRIVATE'],
    ['169.254.1.1', 'LINK_LOCAL'],
    ['169.254.169.254', 'METADATA'],
    ['100.100.100.200', 'METADATA'],
    ['224.0.0.1', 'MULTICAST'],
    ['239.255.255.250', 'MULTICAST'],
    ['255.255.255.255', 'RESERVED'],
    ['192.0.2.1', 'RESERVED'],
    ['198.18.0.1', 'RESERVED'],
    ['2606:4700:4700::1111', 'PUBLIC'],
    ['2001:4860:4860::8888', 'PUBLIC'],
    ['::', 'UNSPECIFIED'],
    ['::1', 'LOOPBACK'],
    ['0:0:0:0:0:0:0:1', 'LOOPBACK'],
    ['fc00::1', 'PRIVATE'],
    ['fd12:3456::1', 'PRIVATE'],
    ['fd00:ec2::254', 'METADATA'],
    ['fe80::1', 'LINK_LOCAL'],
    ['fe80::1%eth0', 'LINK_LOCAL'],
    ['ff02::1', 'MULTICAST'],
    ['2001:db8::1', 'RESERVED'],
    ['::ffff:127.0.0.1', 'LOOPBACK'],
    ['::ffff:7f00:1', 'LOOPBACK'],
    ['::ffff:10.0.0.1', 'PRIVATE'],
    ['::ffff:a9fe:a9fe', 'METADATA'],
    ['::ffff:8.8.8.8', 'PUBLIC'],
    ['::10.0.0.1', 'PRIVATE'],
    ['64:ff9b::169.254.169.254', 'METADATA'],
    ['64:ff9b::808:808', 'PUBLIC'],
    ['2002:c0a8:0101::1', 'PRIVATE'],
    ['[::1]', 'LOOPBACK'],
    ['not-an-ip', 'RESERVED'],
  ])('%s is %s', (address, cls) => {
    expect(classifyAddress(address)).toBe(cls);
  });

  it('classifies every IPv4-mapped IPv6 address as its IPv4 address (property)', () => {
    fc.assert(
      fc.property(fc.ipV4(), (v4) => {
        const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
        const hex = `::ffff:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
        expect(classifyAddress(`::ffff:${v4}`)).toBe(classifyAddress(v4));
        expect(classifyAddress(hex)).toBe(classifyAddress(v4));
      }),
    );
  });

  it('every 10/8, 172.16/12 and 192.168/16 address is PRIVATE (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 }), fc.nat(0xffffff), (which, n) => {
        const v4 =
          which === 0 ? `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` : which === 1 ? `172.${16 + ((n >> 16) & 15)}.${(n >> 8) & 255}.${n & 255}` : `192.168.${(n >> 8) & 255}.${n & 255}`;
        expect(classifyAddress(v4)).toBe('PRIVATE');
      }),
    );
  });
});

describe('checkWebhookUrl', () => {
  it.each([
    ['http://hooks.example.com/x', 'https'],
    ['ftp://hooks.example.com/x', 'https'],
    ['not a url', 'absolute'],
    ['https://user:pw@hooks.example.com/', 'credentials'],
    ['https://hooks.example.com/#frag', 'fragment'],
    ['https://10.1.2.3/hook', 'private'],
    ['https://[::ffff:10.1.2.3]/hook', 'private'],
    ['https://169.254.169.254/latest/meta-data', 'metadata'],
    ['https://2130706433/', 'loopback'],
    ['https://0x7f.1/', 'loopback'],
    ['https://localhost/', 'loopback'],
    ['http://127.0.0.1:8080/', 'https'],
  ])('refuses %s (%s)', (url, why) => {
    const out = checkWebhookUrl(url, STRICT);
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.reason).toContain(why);
  });

  it('admits https to public hosts, and http to loopback only with the test flag', () => {
    expect(checkWebhookUrl('https://hooks.example.com/margin?x=1', STRICT).ok).toBe(true);
    expect(checkWebhookUrl('https://8.8.8.8/', STRICT).ok).toBe(true);
    expect(checkWebhookUrl('http://127.0.0.1:8080/hook', TESTS).ok).toBe(true);
    expect(checkWebhookUrl('http://[::1]:8080/hook', TESTS).ok).toBe(true);
    expect(checkWebhookUrl('http://hooks.example.com/', TESTS).ok).toBe(false);
    expect(checkWebhookUrl('https://10.0.0.1/', TESTS).ok).toBe(false);
  });
});

describe('checkWebhookTarget (DNS)', () => {
  const answers = (list: string[]): Lookup => async () => list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  it('refuses a name when any of its addresses is not public', async () => {
    const out = await checkWebhookTarget('https://hooks.example.com/', STRICT, answers(['93.184.216.34', '10.0.0.7']));
    expect(out).toEqual({ ok: false, reason: expect.stringContaining('10.0.0.7') });
    expect((await checkWebhookTarget('https://hooks.example.com/', STRICT, answers(['::ffff:169.254.169.254']))).ok).toBe(false);
    expect((await checkWebhookTarget('https://hooks.example.com/', STRICT, answers(['127.0.0.1']))).ok).toBe(false);
    expect((await checkWebhookTarget('https://hooks.example.com/', TESTS, answers(['127.0.0.1']))).ok).toBe(true);
  });

  it('admits a name whose addresses are all public; refuses one that does not resolve', async () => {
    expect((await checkWebhookTarget('https://hooks.example.com/', STRICT, answers(['93.184.216.34', '2606:2800:220:1::1']))).ok).toBe(true);
    expect((await checkWebhookTarget('https://hooks.example.com/', STRICT, answers([])))).toEqual({ ok: false, reason: expect.stringContaining('does not resolve') });
    const failing: Lookup = async () => {
      throw new Error('ENOTFOUND');
    };
    expect((await checkWebhookTarget('https://nowhere.invalid/', STRICT, failing)).ok).toBe(false);
  });
});
