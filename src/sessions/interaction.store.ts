export interface Interaction {
  id: string;
  /** sha256 of the CSRF token carried by the form and by the interaction cookie. */
  csrfHash: string;
  clientId: string;
  /** The validated authorization request, serialised. */
  params: string;
  /** Set once the user has logged in during this interaction. */
  userId: string | null;
  createdAt: number;
  expiresAt: number;
}

export interface InteractionStore {
  insert(interaction: Interaction): Promise<void>;
  find(id: string): Promise<Interaction | undefined>;
  setUser(id: string, userId: string): Promise<void>;
  /** Deletes it and reports whether it was still there: an interaction completes once. */
  consume(id: string): Promise<boolean>;
}
