import { CLI_CONTEXT } from '../../audit/audit-event.js';
import { SYSTEM } from '../../projects/authority.js';
import { memberView, projectView, scopeView } from '../../projects/views.js';
import { parse, print, UsageError, withContainer, type Command, type CommandHelp } from '../args.js';

export const PROJECTS_HELP: CommandHelp = {
  name: 'projects',
  summary: 'Projects: the partitions clients, scopes and members belong to.',
  subcommands: {
    create: { summary: 'a new project', flags: ['name'] },
    list: { summary: 'every project', flags: [] },
    show: { args: 'PROJECT', summary: 'one project with its counts', flags: [] },
    rename: { args: 'PROJECT', summary: 'give it a new name', flags: ['name'] },
    delete: { args: 'PROJECT', summary: 'delete it with everything in it', flags: ['yes'] },
  },
};

export const MEMBERS_HELP: CommandHelp = {
  name: 'members',
  summary: 'Who may manage a project through the admin API, with which role.',
  subcommands: {
    add: { summary: 'give a user a role in the project', flags: ['project', 'user', 'role'] },
    list: { summary: 'the project\'s members', flags: ['project'] },
    'set-role': { summary: 'change a member\'s role', flags: ['project', 'user', 'role'] },
    remove: { summary: 'take a member out of the project', flags: ['project', 'user'] },
  },
};

export const SCOPES_HELP: CommandHelp = {
  name: 'scopes',
  summary: 'A project\'s custom scopes (the built-in ones are listed too).',
  subcommands: {
    list: { summary: 'the scopes a client of the project may be given', flags: ['project'] },
    create: { summary: 'a new scope', flags: ['project', 'name', 'description', 'operator-only'] },
    delete: { summary: 'remove a scope', flags: ['project', 'name'] },
  },
};

/** Asks before a destructive step unless `--yes` (or `--json`, for scripts) says so. */
function confirmed(values: { yes?: boolean | undefined; json?: boolean | undefined }, what: string): void {
  if (!values.yes) throw new UsageError(`${what} deletes everything in it (clients, their grants and tokens, scopes, members); add --yes to confirm`);
}

/** `gatehouse projects create|list|show|rename|delete`: the CLI acts with an operator's full authority. */
export const projectsCommand: Command = async (argv) => {
  const { values, positionals } = parse(
    argv,
    {
      name: { type: 'string', value: 'NAME', description: 'the project\'s name' },
      yes: { type: 'boolean', description: 'confirm a deletion' },
    },
    PROJECTS_HELP,
  );
  const [sub, id] = positionals;
  const needId = () => {
    if (!id) throw new UsageError(`usage: gatehouse projects ${sub} <project id>`);
    return id;
  };
  return withContainer(values.config, async (c) => {
    switch (sub) {
      case 'create': {
        if (!values.name) throw new UsageError('usage: gatehouse projects create --name NAME [--json]');
        const p = await c.projects.create(SYSTEM, values.name, CLI_CONTEXT);
        print(values.json, projectView(p), () => `created project ${p.id} (${p.name})`);
        return 0;
      }
      case 'list': {
        const all = (await c.projects.list(SYSTEM)).map(projectView);
        print(values.json, all, () => all.map((p) => `${p.id}  ${p.slug.padEnd(24)} ${p.name}`).join('\n'));
        return 0;
      }
      case 'show': {
        const p = await c.projects.get(SYSTEM, needId());
        const members = (await c.projects.members(SYSTEM, p.id)).map(memberView);
        const scopes = (await c.scopes.list(SYSTEM, p.id)).filter((s) => s.projectId !== null).map(scopeView);
        print(true, { ...projectView(p), members, scopes }, () => '');
        return 0;
      }
      case 'rename': {
        if (!values.name) throw new UsageError('usage: gatehouse projects rename <project id> --name NAME');
        const p = await c.projects.rename(SYSTEM, needId(), values.name, CLI_CONTEXT);
        print(values.json, projectView(p), () => `renamed ${p.id} to ${p.name}`);
        return 0;
      }
      case 'delete': {
        const pid = needId();
        confirmed(values, `deleting project ${pid}`);
        await c.projects.delete(SYSTEM, pid, CLI_CONTEXT);
        print(values.json, { deleted: pid }, () => `deleted project ${pid}`);
        return 0;
      }
      default:
        throw new UsageError('usage: gatehouse projects create|list|show|rename|delete');
    }
  });
};

/** `gatehouse members add|list|set-role|remove --project ID [--user ID|EMAIL] [--role R]`. */
export const membersCommand: Command = async (argv) => {
  const { values, positionals } = parse(
    argv,
    {
      project: { type: 'string', value: 'ID', description: 'the project' },
      user: { type: 'string', value: 'ID|EMAIL', description: 'the user' },
      role: { type: 'string', value: 'owner|admin|member', description: 'the role in the project' },
    },
    MEMBERS_HELP,
  );
  const [sub] = positionals;
  const project = () => {
    if (!values.project) throw new UsageError(`usage: gatehouse members ${sub ?? '<command>'} --project ID …`);
    return values.project;
  };
  const user = () => {
    if (!values.user) throw new UsageError(`usage: gatehouse members ${sub} --project ID --user ID|EMAIL …`);
    return values.user;
  };
  return withContainer(values.config, async (c) => {
    switch (sub) {
      case 'add': {
        const m = await c.projects.addMember(SYSTEM, project(), user(), values.role ?? 'member', CLI_CONTEXT);
        print(values.json, memberView(m), () => `added ${m.email} to ${m.projectId} as ${m.role}`);
        return 0;
      }
      case 'list': {
        const all = (await c.projects.members(SYSTEM, project())).map(memberView);
        print(values.json, all, () => all.map((m) => `${m.user_id}  ${m.role.padEnd(7)} ${m.email}`).join('\n'));
        return 0;
      }
      case 'set-role': {
        if (!values.role) throw new UsageError('usage: gatehouse members set-role --project ID --user ID|EMAIL --role owner|admin|member');
        const target = await c.accounts.findByEmailOrId(user());
        const m = await c.projects.setRole(SYSTEM, project(), target.id, values.role, CLI_CONTEXT);
        print(values.json, memberView(m), () => `${m.email} is now ${m.role} of ${m.projectId}`);
        return 0;
      }
      case 'remove': {
        const target = await c.accounts.findByEmailOrId(user());
        await c.projects.removeMember(SYSTEM, project(), target.id, CLI_CONTEXT);
        print(values.json, { removed: target.id, project_id: project() }, () => `removed ${target.email} from ${project()}`);
        return 0;
      }
      default:
        throw new UsageError('usage: gatehouse members add|list|set-role|remove --project ID');
    }
  });
};

/** `gatehouse scopes list|create|delete [--project ID]`: a project's custom scopes (built-ins are listed too); the default project unless named. */
export const scopesCommand: Command = async (argv) => {
  const { values, positionals } = parse(
    argv,
    {
      project: { type: 'string', value: 'ID', description: 'the project (default: the default project)' },
      name: { type: 'string', value: 'NAME', description: 'the scope name' },
      description: { type: 'string', value: 'TEXT', description: 'what the consent page says it allows' },
      'operator-only': { type: 'boolean', description: 'only an operator may give it to a client' },
    },
    SCOPES_HELP,
  );
  const [sub] = positionals;
  return withContainer(values.config, async (c) => {
    const projectId = values.project ?? (await c.projects.defaultProjectId());
    const project = () => projectId;
    switch (sub) {
      case 'list': {
        const all = (await c.scopes.list(SYSTEM, project())).map(scopeView);
        print(values.json, all, () => all.map((s) => `${s.name.padEnd(24)} ${s.builtin ? 'built-in' : 'custom  '} ${s.description}`).join('\n'));
        return 0;
      }
      case 'create': {
        const s = await c.scopes.create(SYSTEM, project(), {
          name: values.name,
          description: values.description,
          operator_only: values['operator-only'] ?? false,
        }, CLI_CONTEXT);
        print(values.json, scopeView(s), () => `created scope ${s.name} in ${project()}`);
        return 0;
      }
      case 'delete': {
        if (!values.name) throw new UsageError('usage: gatehouse scopes delete --project ID --name NAME');
        await c.scopes.delete(SYSTEM, project(), values.name, CLI_CONTEXT);
        print(values.json, { deleted: values.name }, () => `deleted scope ${values.name}`);
        return 0;
      }
      default:
        throw new UsageError('usage: gatehouse scopes list|create|delete [--project ID] [--name N --description D] [--operator-only]');
    }
  });
};
