import { navigate } from './nav';
import { useSession } from './session';

/** The top bar: the brand (home) and who is signed in. */
export function Header({ children }: { children?: React.ReactNode }) {
  const { user, signOut } = useSession();
  return (
    <header className="topbar">
      <a href="/" className="brand" onClick={(e) => { e.preventDefault(); navigate('/'); }}>
        Bedrud
      </a>
      {children}
      <span id="who" className="who">
        {user && <>
          <span>{user.name}</span>
          <button type="button" className="link"
                  onClick={() => { void signOut().then(() => navigate('/')); }}>
            Sign out
          </button>
        </>}
      </span>
    </header>
  );
}
