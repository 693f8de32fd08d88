export type MemberRole = 'owner' | 'admin' | 'member';

export interface Project {
  id: string;
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

export interface ProjectStore {
  findBySlug(slug: string): Promise<Project | undefined>;
  insert(project: Project): Promise<void>;
  findMember(projectId: string, userId: string): Promise<ProjectMember | undefined>;
  addMember(member: ProjectMember): Promise<void>;
  members(projectId: string): Promise<ProjectMember[]>;
  count(): Promise<number>;
}
