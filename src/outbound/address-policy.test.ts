import { describe, expect, it } from 'vitest';
import { AddressPolicy, classifyAddress, parseCidr } from './address-policy.js';

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'public'], ['1.1.1.1', 'public'], ['93.184.216.34', 'public'],
    ['127.0.0.1', 'loopback'], ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'], ['172.16.5.4', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'], ['100.127.255.255', 'private'],
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'reserved'], ['0.1.2.3', 'reserved'], ['224.0.0.1', 'reserved'], ['239.255.255.250', 'reserved'],
    ['255.255.255.255', 'reserved'], ['192.0.2.1', 'reserved'], ['198.18.0.1', 'reserved'],
    ['172.32.0.1', 'public'], ['100.128.0.1', 'public'], ['11.0.0.1', 'public'],
  ])('IPv4 %s is %s', (ip, cls) => expect(classifyAddress(ip)).toBe(cls));

  it.each([
    ['2606:4700:4700::1111', 'public'], ['2001:4860:4860::8888', 'public'],
    ['::1', 'loopback'], ['::', 'reserved'], ['fe80::1', 'link-local'], ['febf::1', 'link-local'],
    ['fc00::1', 'private'], ['fd12:3456::1', 'private'], ['ff02::1', 'reserved'], ['2001:db8::1', 'reserved'],
    ['64:ff9b::7f00:1', 'reserved'], ['2002:7f00:1::', 'reserved'], ['::127.0.0.1', 'reserved'],
  ])('IPv6 %s is %s', (ip, cls) => expect(classifyAddress(ip)).toBe(cls));

  it.each([
    ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['::ffff:10.1.2.3', 'private'],
    ['::ffff:169.254.169.254', 'link-local'], ['::ffff:a9fe:a9fe', 'link-local'], ['::ffff:0.0.0.0', 'reserved'],
    ['::ffff:100.64.0.1', 'private'], ['::ffff:8.8.8.8', 'public'],
  ])('IPv4-mapped %s is %s', (ip, cls) => expect(classifyAddress(ip)).toBe(cls));

  it('refuses what is not an address, and zoned addresses', () => {
    for (const bad of ['', 'localhost', '127.1', '1.2.3.4.5', 'fe80::1%eth0', '[::1]']) expect(classifyAddress(bad)).toBe('invalid');
  });
});

describe('AddressPolicy', () => {
  it('allows public addresses only by default', () => {
    const p = new AddressPolicy({ allowInsecureLoopback: false, allowPrivateNetworks: [] });
    expect(p.refusal('8.8.8.8')).toBeUndefined();
    expect(p.refusal('127.0.0.1')).toBe('loopback');
    expect(p.refusal('::ffff:127.0.0.1')).toBe('loopback');
    expect(p.refusal('10.0.0.1')).toBe('private');
  });

  it('the development switch allows loopback, nothing else', () => {
    const p = new AddressPolicy({ allowInsecureLoopback: true, allowPrivateNetworks: [] });
    expect(p.refusal('127.0.0.1')).toBeUndefined();
    expect(p.refusal('::1')).toBeUndefined();
    expect(p.refusal('192.168.0.1')).toBe('private');
  });

  it('operator-allowed networks pass, neighbours do not', () => {
    const p = new AddressPolicy({ allowInsecureLoopback: false, allowPrivateNetworks: ['10.20.0.0/16', 'fd00::/8', '192.168.1.7'] });
    expect(p.refusal('10.20.3.4')).toBeUndefined();
    expect(p.refusal('::ffff:10.20.3.4')).toBeUndefined();
    expect(p.refusal('10.21.0.1')).toBe('private');
    expect(p.refusal('fd00::5')).toBeUndefined();
    expect(p.refusal('192.168.1.7')).toBeUndefined();
    expect(p.refusal('192.168.1.8')).toBe('private');
  });

  it('parses CIDRs strictly', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ net: '10.0.0.0', prefix: 8, family: 'ipv4' });
    expect(parseCidr('::1')).toEqual({ net: '::1', prefix: 128, family: 'ipv6' });
    for (const bad of ['10.0.0.0/33', '10.0.0.0/', 'x/8', '10.0.0.0/8/1', '10.0.0.0/-1', 'fd00::/129']) expect(parseCidr(bad)).toBeUndefined();
  });
});
