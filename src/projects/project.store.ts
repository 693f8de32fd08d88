export const MEMBER_ROLES = ['owner', 'admin', 'member'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

export interface Project {
  id: string;
  /** Numeric key naming the project's partitions on PostgreSQL (`oauth_clients_p<num>`). */
  num: number;
  name: string;
  slug: string;
  createdAt: number;
}

export interface ProjectMember {
  projectId: string;
  userId: string;
  role: MemberRole;
  createdAt: number;
}

/** Projects and their members. Creating and deleting a project also creates and drops its partitions. */
export interface ProjectStore {
  findById(id: string): Promise<Project | undefined>;
  findBySlug(slug: string): Promise<Project | undefined>;
  list(): Promise<Project[]>;
  /** The next free numeric key (run inside the creating transaction; the unique index settles a race). */
  nextNum(): Promise<number>;
  /** Inserts the project and creates its partitions, in the caller's transaction. */
  insert(project: Project): Promise<void>;
  rename(id: string, name: string, slug: string): Promise<void>;
  /** Deletes the project with its clients, scopes and members, then drops its partitions. */
  delete(project: Project): Promise<void>;
  findMember(projectId: string, userId: string): Promise<ProjectMember | undefined>;
  addMember(member: ProjectMember): Promise<void>;
  setRole(projectId: string, userId: string, role: MemberRole): Promise<boolean>;
  removeMember(projectId: string, userId: string): Promise<boolean>;
  members(projectId: string): Promise<ProjectMember[]>;
  /** Every membership of one user: what their authority is computed from, on every admin request. */
  membershipsOf(userId: string): Promise<ProjectMember[]>;
  count(): Promise<number>;
}
