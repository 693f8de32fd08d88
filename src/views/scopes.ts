/** Plain-words descriptions of scopes for the consent page. */
const DESCRIPTIONS: Record<string, string> = {
  openid: 'Sign you in and know who you are',
  profile: 'See your name',
  email: 'See your email address',
  offline_access: 'Stay connected when you are not using it',
  admin: 'Administer this Gatehouse server',
};

export function scopeDescriptions(scopes: readonly string[]): Array<{ name: string; description: string }> {
  return scopes.map((name) => ({ name, description: DESCRIPTIONS[name] ?? `Access “${name}”` }));
}
