/**
 * The operator model's refusals, each with a stable code and the sentence operators see; mapped to HTTP once
 * (src/http/error-handler.ts) and printed by the CLI as `code: sentence`.
 */
import { OperatorRuleError } from '../oauth/errors.js';

const rule = (code: string, status: number, description: string) => () => new OperatorRuleError(code, status, description);

export const ProjectErrors = {
  projectNotFound: rule('project_not_found', 404, 'project not found'),
  projectExists: rule('project_exists', 409, 'a project with this name already exists'),
  defaultProject: rule('default_project_protected', 409, 'the default project cannot be deleted'),
  memberNotFound: rule('member_not_found', 404, 'project member not found'),
  alreadyMember: rule('already_member', 409, 'user is already a member of this project'),
  invalidRole: rule('invalid_role', 400, 'invalid role specified'),
  ownerReserved: rule('owner_reserved', 403, 'owner role is reserved for superadmin'),
  lastOwner: rule('last_owner', 409, 'cannot remove the last owner from project'),
  insufficientPermissions: rule('insufficient_permissions', 403, 'insufficient permissions for this operation'),
  clientInOtherProject: rule('client_in_other_project', 403, 'oauth client belongs to another project'),
  defaultClient: rule('default_client_protected', 409, 'default dashboard client cannot be deleted'),
  scopeExists: rule('scope_exists', 409, 'a scope with this name already exists in this project'),
  scopeNotFound: rule('scope_not_found', 404, 'scope not found'),
};
