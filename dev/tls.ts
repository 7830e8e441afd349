import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';
import { LOCAL_DIR } from './paths';

/**
 * The local stack's TLS: one development CA, kept under .local/ so that clients can trust it through
 * NODE_EXTRA_CA_CERTS, and a fresh server certificate signed by it each time an emulator starts.
 */
export interface DevCa {
  certPem: string;
  keyPem: string;
  /** Path of the CA certificate, for NODE_EXTRA_CA_CERTS. */
  certPath: string;
}

export interface ServerCertificate {
  cert: string;
  key: string;
}

export const DEV_CA_DIR = path.join(LOCAL_DIR, 'dev-ca');

function newRsaKeyPem(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function serialNumber(): string {
  // Positive (high bit clear) 16-byte serial, as RFC 5280 asks.
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function createCa(): { certPem: string; keyPem: string } {
  const keys = newRsaKeyPem();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicPem);
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 5 * 365 * 24 * 3600_000);
  const subject = [{ name: 'commonName', value: 'entra-oath-tokens local development CA' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keys.privatePem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privatePem };
}

/** Loads the development CA from `dir`, creating it on first use. */
export function ensureDevCa(dir: string = DEV_CA_DIR): DevCa {
  const certPath = path.join(dir, 'ca.pem');
  const keyPath = path.join(dir, 'ca-key.pem');
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    mkdirSync(dir, { recursive: true });
    const ca = createCa();
    writeFileSync(keyPath, ca.keyPem, { mode: 0o600 });
    writeFileSync(certPath, ca.certPem);
  }
  return { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8'), certPath };
}

/** A server certificate for 127.0.0.1 and localhost, signed by the development CA. */
export function issueServerCertificate(ca: DevCa, commonName = 'localhost'): ServerCertificate {
  const keys = newRsaKeyPem();
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicPem);
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 30 * 24 * 3600_000);
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.keyPem), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.privatePem };
}
