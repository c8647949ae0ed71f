import { Link, useLocation } from 'wouter';
import { isSuperadmin } from './api';
import { navigate } from './nav';
import { useSession } from './session';

const active = (on: boolean) => (on ? 'active' : '');

/** The top bar: the brand (home), the pages, who is signed in. */
export function Header({ children }: { children?: React.ReactNode }) {
  const { user, signOut } = useSession();
  const [path] = useLocation();
  return (
    <header className="topbar">
      <Link href="/" className="brand">Bedrud</Link>
      {children}
      {user && (
        <nav className="nav" aria-label="Pages">
          <Link href="/" className={active(path === '/')} data-testid="nav-rooms">Rooms</Link>
          <Link href="/account" className={active(path === '/account')}
                data-testid="nav-account">Account</Link>
          {isSuperadmin(user) && (
            <Link href="/admin" className={active(path.startsWith('/admin'))}
                  data-testid="nav-admin">Admin</Link>
          )}
        </nav>
      )}
      <span id="who" className="who">
        {user && <>
          <span data-testid="who-name">{user.name}</span>
          <button type="button" className="link" data-testid="sign-out"
                  onClick={() => { void signOut().then(() => navigate('/')); }}>
            Sign out
          </button>
        </>}
      </span>
    </header>
  );
}
