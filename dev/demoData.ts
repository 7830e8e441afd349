import type { SeedUser } from './graph/types';

/** The people `npm start` puts in the Graph emulator, so the joiner demo has someone to hire. */
export const DEMO_USERS: SeedUser[] = [
  { displayName: 'Ada Lovelace', userPrincipalName: 'ada@contoso.com', employeeId: 'E1001' },
  { displayName: 'Grace Hopper', userPrincipalName: 'grace@contoso.com', employeeId: 'E1002' },
  { displayName: 'Alan Turing', userPrincipalName: 'alan@contoso.com', employeeId: 'E1003' },
  { displayName: 'Katherine Johnson', userPrincipalName: 'katherine@contoso.com', employeeId: 'E1004' },
  { displayName: 'Edsger Dijkstra', userPrincipalName: 'edsger@contoso.com', employeeId: 'E1005' },
  { displayName: 'Guest Auditor', userPrincipalName: 'auditor_fabrikam.com#EXT#@contoso.com', userType: 'Guest' },
];
