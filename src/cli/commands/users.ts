import { claimPairs, parseClaimChanges } from '../../claims/claim-input.js';
import { randomToken } from '../../oauth/random.js';
import { userView } from '../../accounts/account.service.js';
import { SYSTEM } from '../../projects/authority.js';
import { CLI_CONTEXT } from '../../audit/audit-event.js';
import { parse, print, UsageError, withContainer, type Command, type CommandHelp } from '../args.js';

export const USERS_HELP: CommandHelp = {
  name: 'users',
  summary: 'People who sign in: create, change claims, disable, reset passwords, delete.',
  subcommands: {
    create: { summary: 'a new user; a password not given is generated and shown once', flags: ['email', 'password', 'given-name', 'family-name', 'verified', 'claim'] },
    update: { args: 'USER', summary: 'change email, verification or standard claims', flags: ['email', 'given-name', 'family-name', 'verified', 'claim'] },
    list: { summary: 'every user', flags: [] },
    disable: { args: 'USER', summary: 'refuse sign-in and end the user\'s sessions', flags: [] },
    enable: { args: 'USER', summary: 'allow sign-in again', flags: [] },
    'set-password': { args: 'USER', summary: 'a new password (generated and shown once unless given); ends sessions', flags: ['password'] },
    delete: { args: 'USER', summary: 'delete the user with their sessions and tokens', flags: ['yes'] },
  },
};

/**
 * `gatehouse users create|update|list|disable|enable|set-password|delete`. A password not given is generated
 * and shown once. Standard claims (OpenID Connect Core §5.1) are `--claim name=value`, repeatable:
 * `--claim address.locality=Berlin`, `--claim phone_number_verified=true`, `--claim nickname=` clears.
 */
export const usersCommand: Command = async (argv) => {
  const { values, positionals } = parse(
    argv,
    {
      email: { type: 'string', value: 'EMAIL', description: 'the sign-in name and email claim' },
      password: { type: 'string', value: 'PASSWORD', description: 'the password (default: generated and shown once)' },
      'given-name': { type: 'string', value: 'NAME', description: 'given_name claim' },
      'family-name': { type: 'string', value: 'NAME', description: 'family_name claim' },
      verified: { type: 'boolean', description: 'email_verified true' },
      claim: { type: 'string', multiple: true, value: 'NAME=VALUE', description: 'a standard claim (address.locality=Berlin; `nickname=` clears)' },
      yes: { type: 'boolean', description: 'confirm a deletion' },
    },
    USERS_HELP,
  );
  const [sub, ref] = positionals;
  const needRef = () => {
    if (!ref) throw new UsageError(`usage: gatehouse users ${sub} <user id or email>`);
    return ref;
  };
  return withContainer(values.config, async (c) => {
    switch (sub) {
      case 'create': {
        if (!values.email) throw new UsageError('usage: gatehouse users create --email EMAIL [--password P] [--given-name G] [--family-name F] [--claim name=value …]');
        const password = values.password ?? randomToken(18);
        const claims = parseClaimChanges(claimPairs(values.claim ?? []));
        const user = await c.accounts.create({
          email: values.email,
          password,
          givenName: values['given-name'],
          familyName: values['family-name'],
          emailVerified: values.verified ?? false,
          claims,
        }, CLI_CONTEXT);
        print(values.json, { ...userView(user), ...(values.password ? {} : { password }) }, () =>
          [`created ${user.id} ${user.email}`, ...(values.password ? [] : [`password (shown once): ${password}`])].join('\n'),
        );
        return 0;
      }
      case 'update': {
        const user = await c.accounts.findByEmailOrId(needRef());
        const changes = parseClaimChanges(claimPairs([
          ...(values['given-name'] !== undefined ? [`given_name=${values['given-name']}`] : []),
          ...(values['family-name'] !== undefined ? [`family_name=${values['family-name']}`] : []),
          ...(values.claim ?? []),
        ]));
        const updated = await c.accounts.updateClaims(user.id, changes, { email: values.email, emailVerified: values.verified }, CLI_CONTEXT);
        print(values.json, userView(updated), () => `updated ${updated.email}`);
        return 0;
      }
      case 'list': {
        const users = (await c.accounts.list(10_000, 0)).map(userView);
        print(values.json, users, () => users.map((u) => `${u.id}  ${u.email}${u.disabled ? '  (disabled)' : ''}`).join('\n') || 'no users');
        return 0;
      }
      case 'disable':
      case 'enable': {
        const user = await c.accounts.findByEmailOrId(needRef());
        const updated = await c.accounts.setDisabled(user.id, sub === 'disable', CLI_CONTEXT);
        print(values.json, userView(updated), () => `${sub}d ${updated.email}`);
        return 0;
      }
      case 'set-password': {
        const user = await c.accounts.findByEmailOrId(needRef());
        const password = values.password ?? randomToken(18);
        await c.accounts.setPassword(user.id, password, CLI_CONTEXT);
        print(values.json, { id: user.id, ...(values.password ? {} : { password }) }, () =>
          values.password ? `password set for ${user.email}` : `new password for ${user.email} (shown once): ${password}`,
        );
        return 0;
      }
      case 'delete': {
        const user = await c.accounts.findByEmailOrId(needRef());
        if (!values.yes) throw new UsageError(`deleting ${user.email} ends their sessions and tokens for good; add --yes to confirm`);
        await c.projects.deleteUser(SYSTEM, user.id, CLI_CONTEXT);
        print(values.json, { deleted: user.id }, () => `deleted ${user.email}`);
        return 0;
      }
      default:
        throw new UsageError('usage: gatehouse users create|update|list|disable|enable|set-password|delete');
    }
  });
};
