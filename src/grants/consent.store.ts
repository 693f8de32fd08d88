export interface Consent {
  userId: string;
  clientId: string;
  scopes: string[];
  createdAt: number;
  updatedAt: number;
}

export interface ConsentStore {
  find(userId: string, clientId: string): Promise<Consent | undefined>;
  /** Inserts or replaces the consent of (user, client). */
  save(consent: Consent): Promise<void>;
  listByUser(userId: string): Promise<Consent[]>;
  delete(userId: string, clientId: string): Promise<boolean>;
}
