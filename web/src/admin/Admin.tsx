// The superadmin's console ("/admin/...", its own chunk): an overview of
// what is live, the rooms (E2EE dot, owner, people now, close), one room's
// live participants with each track's encryption (kick, mute), the users
// (status, superadmin role) and the server's settings with invite codes.
// App.tsx shows it to superadmins only; the server refuses the others.

import './admin.css';
import { Link, Route, Switch, useLocation } from 'wouter';
import { QueryRoot } from '../queries';
import { Overview } from './Overview';
import { RoomDetail } from './RoomDetail';
import { Rooms } from './Rooms';
import { SettingsPage } from './Settings';
import { Users } from './Users';

const TABS = [
  { href: '/', label: 'Overview', testid: 'admin-tab-overview' },
  { href: '/rooms', label: 'Rooms', testid: 'admin-tab-rooms' },
  { href: '/users', label: 'Users', testid: 'admin-tab-users' },
  { href: '/settings', label: 'Settings', testid: 'admin-tab-settings' },
];

export default function Admin() {
  const [path] = useLocation();
  const current = (href: string) => (href === '/' ? path === '/' : path.startsWith(href));
  return (
    <QueryRoot>
      <div className="admin" data-testid="admin">
        <h1>Administration</h1>
        <nav className="tabs" aria-label="Administration">
          {TABS.map((t) => (
            <Link key={t.href} href={t.href} data-testid={t.testid}
                  className={current(t.href) ? 'active' : ''}
                  aria-current={current(t.href) ? 'page' : undefined}>{t.label}</Link>
          ))}
        </nav>
        <Switch>
          <Route path="/"><Overview /></Route>
          <Route path="/rooms"><Rooms /></Route>
          <Route path="/rooms/:id">{(p) => <RoomDetail id={p.id} />}</Route>
          <Route path="/users"><Users /></Route>
          <Route path="/settings"><SettingsPage /></Route>
          <Route><p data-testid="not-found">There is no such page in the console.</p></Route>
        </Switch>
      </div>
    </QueryRoot>
  );
}
