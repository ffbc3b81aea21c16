import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, teacherOrigins } from './csp.ts';

describe('TEACHER_ORIGINS (connect-src for web-service teachers)', () => {
  it('reads origins separated by commas or spaces, normalised and de-duplicated', () => {
    expect(teacherOrigins(undefined)).toEqual([]);
    expect(teacherOrigins(' https://Classifier.Example.org, http://127.0.0.1:5000  https://classifier.example.org/ ')).toEqual([
      'https://classifier.example.org', 'http://127.0.0.1:5000',
    ]);
  });

  it('refuses paths, wildcards and other schemes with the entry named', () => {
    expect(() => teacherOrigins('https://a.example/predict')).toThrow(/"https:\/\/a\.example\/predict" is not an origin/);
    expect(() => teacherOrigins('https://*.example.org')).toThrow(/not an origin/);
    expect(() => teacherOrigins('ftp://a.example')).toThrow(/not an origin/);
  });

  it('the origins land in connect-src and nowhere else', () => {
    const p = contentSecurityPolicy({ connect: teacherOrigins('http://127.0.0.1:5000') });
    const dirs = Object.fromEntries(p.split('; ').map((d) => [d.split(' ')[0], d]));
    expect(dirs['connect-src']).toContain('http://127.0.0.1:5000');
    expect(Object.values(dirs).filter((d) => d.includes('127.0.0.1'))).toHaveLength(1);
  });
});
