import { createApp } from './app.ts';
import { createDenoAssets } from './deno-assets.ts';
import { portFrom } from './port.ts';

// Just the slice of Deno's API used here; this file runs only under Deno.
declare const Deno: {
  env: { get(name: string): string | undefined };
  serve(options: { port: number }, handler: (request: Request) => Response | Promise<Response>): unknown;
};

const port = portFrom(Deno.env.get('PORT'));
Deno.serve({ port }, createApp({ assets: createDenoAssets() }).fetch);
