/**
 * An interaction (the login and consent steps of one authorization request) lives in the browser, sealed with
 * AES-256-GCM under a key of its own, in a cookie scoped to the interaction's path. Nothing is written to the
 * database until the interaction completes (then the session of a login made here, the consent, the grant and
 * the code commit together), so the pages cost no writes; the seal makes the state unreadable and
 * unforgeable, the cookie name is bound in as associated data, and the CSRF token in the form must equal the
 * sealed one. Completion is one-time because the grant created at the end takes the interaction's id as its
 * primary key: a replayed decision cannot insert it again.
 */
import { hkdfSync, randomUUID } from 'node:crypto';
import { constantTimeEqual } from '../oauth/hash.js';
import { randomToken } from '../oauth/random.js';
import { createSecretBox, type SecretBox } from '../oauth/secret-box.js';
import type { AuthorizationRequest } from './authorize-request.js';

export interface Interaction {
  /** Also the id of the grant that completing it creates. */
  id: string;
  csrf: string;
  clientId: string;
  request: AuthorizationRequest;
  /** Who is consenting: signed in before the request, or during this interaction (then `login` is set). */
  userId: string | null;
  /** A login made in this interaction; its session is stored when the interaction completes. */
  login: PendingLogin | null;
  expiresAt: number;
}

export interface PendingLogin {
  authTime: number;
  amr: string[];
}

/** Browsers drop cookies over 4,096 bytes (name and attributes included). */
export const MAX_SEALED_LENGTH = 3600;

/** The interaction is unknown, expired, or its CSRF token does not match: shown as an error page. */
export class InteractionInvalid extends Error {
  override name = 'InteractionInvalid';
}

export class InteractionSealer {
  readonly #box: SecretBox;

  constructor(encryptionKey: Buffer) {
    this.#box = createSecretBox(Buffer.from(hkdfSync('sha256', encryptionKey, Buffer.alloc(0), 'gatehouse interaction cookie', 32)));
  }

  start(clientId: string, request: AuthorizationRequest, userId: string | null, expiresAt: number): Interaction {
    return { id: randomUUID(), csrf: randomToken(32), clientId, request, userId, login: null, expiresAt };
  }

  seal(interaction: Interaction): string {
    return this.#box.seal(JSON.stringify(interaction), interaction.id);
  }

  /** Opens the cookie of interaction `id` and checks its expiry and the form's CSRF token. */
  open(id: string, sealed: string | undefined, formCsrf: string | undefined, now: number): Interaction {
    let interaction: Interaction;
    try {
      if (!sealed) throw new Error('no cookie');
      interaction = JSON.parse(this.#box.open(sealed, id)) as Interaction;
    } catch {
      throw new InteractionInvalid('This sign-in request has expired. Return to the application and try again.');
    }
    if (interaction.id !== id || interaction.expiresAt <= now) {
      throw new InteractionInvalid('This sign-in request has expired. Return to the application and try again.');
    }
    if (!formCsrf || !constantTimeEqual(formCsrf, interaction.csrf)) {
      throw new InteractionInvalid('This form could not be verified. Return to the application and try again.');
    }
    return interaction;
  }
}
