export interface ScopeDefinition {
  id: string;
  /** null for the built-in scopes. */
  projectId: string | null;
  name: string;
  description: string;
  /** Granted only to people whose role allows it, and only an operator may give it to a client. */
  operatorOnly: boolean;
  createdAt: number;
}

/** The scope registry: built-in scopes and each project's custom ones. */
export interface ScopeStore {
  /** Built-in scopes plus the project's own. */
  visibleTo(projectId: string): Promise<ScopeDefinition[]>;
  find(projectId: string, name: string): Promise<ScopeDefinition | undefined>;
  insert(scope: ScopeDefinition): Promise<void>;
  delete(projectId: string, name: string): Promise<boolean>;
  /** Clients of the project holding the scope (a scope in use cannot be deleted). */
  holders(projectId: string, name: string): Promise<string[]>;
}
