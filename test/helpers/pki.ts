/**
 * A throwaway PKI made at test time with the openssl CLI: a CA, a server certificate for 127.0.0.1/localhost,
 * and client certificates (CA-issued or self-signed). Files are written to `dir`; PEM text is returned.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Issued {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
}

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function read(certFile: string, keyFile: string): Issued {
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile, keyFile };
}

/** A self-signed certificate; with `ca`, one that may sign others. */
export function selfSigned(dir: string, name: string, subject: string, ca = false): Issued {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  const ext = ca ? ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'] : ['-addext', 'basicConstraints=CA:FALSE'];
  openssl(['req', '-x509', ...EC, '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', subject, ...ext]);
  return read(certFile, keyFile);
}

/** A certificate for `subject` issued by `ca`, with the given extensions (e.g. subjectAltName=DNS:x). */
export function issue(dir: string, ca: Issued, name: string, subject: string, extensions: string[] = []): Issued {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, ['basicConstraints=CA:FALSE', ...extensions].join('\n') + '\n');
  openssl(['req', '-new', ...EC, '-keyout', keyFile, '-out', csr, '-subj', subject]);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial', '-out', certFile, '-days', '2', '-extfile', extFile]);
  return read(certFile, keyFile);
}
