/**
 * Clients as operators see them: every admin-API and CLI operation on a client goes through here, so the rule
 * "a project admin sees and manages only their project's clients" is checked in one place, against the
 * authority computed for this request.
 */
import type { Client } from '../clients/client.js';
import type { ClientMetadataInput } from '../clients/client-metadata.js';
import type { AuditContext } from '../audit/audit-event.js';
import type { ClientService, CreatedClient } from '../clients/client.service.js';
import { InvalidRequest } from '../oauth/errors.js';
import { holds, type Authority } from './authority.js';
import { ProjectErrors } from './errors.js';
import type { ProjectService } from './project.service.js';

export class ProjectClients {
  private readonly clients: ClientService;
  private readonly projects: ProjectService;

  constructor(clients: ClientService, projects: ProjectService) {
    this.clients = clients;
    this.projects = projects;
  }

  /** The clients the authority administers (all of them for an operator), optionally of one project. */
  async list(authority: Authority, projectId?: string): Promise<Client[]> {
    if (projectId !== undefined) {
      await this.projects.require(authority, projectId, 'admin');
      return this.clients.list(projectId);
    }
    const all = await this.clients.list();
    return all.filter((c) => holds(authority, c.projectId, 'admin'));
  }

  /**
   * Creates a client in `project_id` (taken out of the metadata), else in the default project for an operator,
   * else in the one project the caller administers.
   */
  async create(authority: Authority, input: ClientMetadataInput, ctx?: AuditContext): Promise<CreatedClient> {
    const { project_id: given, ...metadata } = input;
    if (given !== undefined && typeof given !== 'string') throw new InvalidRequest('project_id: must be a string');
    const projectId = given ?? (await this.implicitProject(authority));
    await this.projects.require(authority, projectId, 'admin');
    return this.clients.create(metadata, { registrar: 'operator', projectId }, ctx);
  }

  async get(authority: Authority, clientId: string): Promise<Client> {
    const client = await this.clients.get(clientId);
    if (!holds(authority, client.projectId, 'admin')) throw ProjectErrors.clientInOtherProject();
    return client;
  }

  async update(authority: Authority, clientId: string, input: ClientMetadataInput, ctx?: AuditContext): Promise<Client> {
    const client = await this.get(authority, clientId);
    const { project_id: given, ...metadata } = input;
    if (given !== undefined && given !== client.projectId) throw new InvalidRequest('project_id: a client cannot move to another project');
    return this.clients.update(clientId, metadata, 'operator', ctx);
  }

  async delete(authority: Authority, clientId: string, ctx?: AuditContext): Promise<void> {
    await this.get(authority, clientId);
    await this.clients.delete(clientId, ctx);
  }

  async rotateSecret(authority: Authority, clientId: string, graceSeconds: number, supplied?: string, ctx?: AuditContext) {
    await this.get(authority, clientId);
    return this.clients.rotateSecret(clientId, graceSeconds, supplied, ctx);
  }

  private async implicitProject(authority: Authority): Promise<string> {
    if (authority.operator || authority.superadmin) return this.projects.defaultProjectId();
    const administered = [...authority.roles].filter(([id]) => holds(authority, id, 'admin')).map(([id]) => id);
    if (administered.length === 1) return administered[0]!;
    throw new InvalidRequest('project_id: required (you administer more than one project)');
  }
}
