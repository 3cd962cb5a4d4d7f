/** Another process already listens on the address switchboard was told to bind. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';

  constructor(readonly host: string, readonly port: number) {
    super(`port ${port} on ${host} is already in use`);
  }
}
