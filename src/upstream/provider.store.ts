/** An upstream identity provider (google, github, …); its client secret is stored sealed. */
export interface UpstreamProvider {
  id: string;
  clientId: string;
  clientSecretEnc: string;
  redirectUrl: string;
  scopes: string[];
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface ProviderStore {
  find(id: string): Promise<UpstreamProvider | undefined>;
  insert(provider: UpstreamProvider): Promise<void>;
  list(): Promise<UpstreamProvider[]>;
}
