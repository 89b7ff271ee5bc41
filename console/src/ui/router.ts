import { useEffect, useState } from "hono/jsx/dom";

/**
 * Routes live in the URL's hash (`#/agents/…`), so the Worker serves one page and a reload or a
 * shared link opens the same view.
 */
function currentPath(): string {
  const path = location.hash.replace(/^#/, "");
  return path.startsWith("/") ? path : "/";
}

export function navigate(path: string): void {
  location.hash = `#${path}`;
}

export function useHashPath(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const onChange = () => setPath(currentPath());
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return path;
}
