import { loadConfig } from '../../src/config';
import { refusedServiceUrl } from '../../src/channels/botframework/serviceUrl';

const production = { allow: [], emulator: false };
const emulator = { allow: [], emulator: true };

describe('Bot Framework serviceUrl allow list', () => {
  it.each([
    'https://smba.trafficmanager.net/emea/',
    'https://smba.trafficmanager.net/amer/',
    'https://webchat.botframework.com/',
    'https://europe.webchat.botframework.com/',
    'https://directline.botframework.com/',
    'https://smba.infra.gcc.teams.microsoft.com/',
    'https://smba.infra.gov.teams.microsoft.us/',
    'https://webchat.botframework.azure.us/',
  ])('allows Microsoft service URL %s', (url) => {
    expect(refusedServiceUrl(url, production)).toBeUndefined();
  });

  it.each([
    ['http://smba.trafficmanager.net/emea/', 'not https'],
    ['https://smba.trafficmanager.net.attacker.example/', 'host not on the allow list'],
    ['https://attackerbotframework.com/', 'host not on the allow list'],
    ['https://botframework.com.attacker.example/', 'host not on the allow list'],
    ['https://smba.trafficmanager.net:8443/', 'host not on the allow list'],
    ['https://user:pw@smba.trafficmanager.net/', 'credentials in the URL'],
    ['http://127.0.0.1:3979/', 'not https'],
    ['file:///etc/passwd', 'not http(s)'],
    ['not a url', 'not a URL'],
    [42, 'no serviceUrl'],
  ])('refuses %s outside Emulator mode (%s)', (url, why) => {
    expect(refusedServiceUrl(url, production)).toMatch(why);
  });

  it('allows loopback only in Emulator mode, spelled as loopback', () => {
    for (const url of ['http://127.0.0.1:3979/', 'http://localhost:3979/', 'http://[::1]:3979/', 'http://127.0.0.2/'])
      expect([url, refusedServiceUrl(url, emulator)]).toEqual([url, undefined]);
    for (const url of ['http://127.attacker.example/', 'http://10.0.0.5/', 'http://169.254.169.254/latest/'])
      expect(refusedServiceUrl(url, emulator)).toBeDefined();
  });

  it('BOT_SERVICE_URL_ALLOW adds https hosts (*.host) and exact origins (http only when written so)', () => {
    const allow = loadConfig({ BOT_SERVICE_URL_ALLOW: ' bots.example.com, *.corp.example ,http://10.0.0.5:8080' })
      .botframework.serviceUrlAllow;
    expect(allow).toEqual(['bots.example.com', '*.corp.example', 'http://10.0.0.5:8080']);
    const policy = { allow, emulator: false };
    expect(refusedServiceUrl('https://bots.example.com/x/', policy)).toBeUndefined();
    expect(refusedServiceUrl('https://a.corp.example/', policy)).toBeUndefined();
    expect(refusedServiceUrl('http://10.0.0.5:8080/v3/', policy)).toBeUndefined();
    expect(refusedServiceUrl('http://bots.example.com/', policy)).toMatch('not https');
    expect(refusedServiceUrl('https://corp.example/', policy)).toBeDefined();
    expect(refusedServiceUrl('http://10.0.0.5:8081/', policy)).toBeDefined();
    expect(() => loadConfig({ BOT_SERVICE_URL_ALLOW: 'https://bots.example.com/path' })).toThrow(
      /BOT_SERVICE_URL_ALLOW: "https:\/\/bots.example.com\/path" is not a host/,
    );
  });
});
