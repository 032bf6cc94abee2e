import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ConfigError, configReader } from '../config.ts'
import { trustProxyOption, trustProxySetting } from './trust-proxy.ts'

const setting = (value: string | undefined) => {
  const read = configReader({ TRUST_PROXY: value })
  const trust = trustProxySetting(read)
  read.done()
  return trust
}

test('TRUST_PROXY: off unless set; a hop count; addresses, CIDRs and named ranges', () => {
  for (const off of [undefined, '', 'false', 'off', '0']) assert.equal(setting(off), undefined, String(off))
  assert.equal(setting('2'), 2)
  assert.deepEqual(setting('10.0.0.0/8, 192.168.1.7,fd00::/8, loopback'), [
    '10.0.0.0/8',
    '192.168.1.7',
    'fd00::/8',
    'loopback',
  ])
})

test('TRUST_PROXY: trusting everyone, or what is not an address, stops the start', () => {
  for (const bad of ['true', '10.0.0.0/33', 'proxy.internal', '1.2.3', '10.0.0.1/8/2', '99']) {
    assert.throws(() => setting(bad), ConfigError, bad)
  }
})

test('a hop count trusts that many proxies, counted from the server', () => {
  const trust = trustProxyOption(2)
  assert.ok(typeof trust === 'function')
  assert.deepEqual(
    [0, 1, 2].map((hop) => trust('198.51.100.1', hop)),
    [true, true, false],
  )
})
