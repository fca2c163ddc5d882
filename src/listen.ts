interface Listenable {
  once(event: 'error', listener: (error: NodeJS.ErrnoException) => void): unknown;
  listen(port: number, host: string, callback: () => void): unknown;
}

/** Starts listening, turning a port clash into an error that names the setting to change. */
export function listen(server: Listenable, port: number, host: string, setting: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`port ${port} on ${host} is already in use: stop what uses it or set ${setting}`)
          : error,
      ),
    );
    server.listen(port, host, () => resolve());
  });
}
