/** Pause and resume a queue from the dashboard: a confirmation page (GET) and the action (POST, CSRF-checked by the handler). */
import { assertName } from '../options.js';
import { HttpError, send } from './http.js';
import { confirmPage } from './pages/forms.js';
import { segment } from './pages/layout.js';
import type { Route } from './request.js';
import type { Action } from './routes-actions.js';

export const flowPageRoutes: Route[] = [
  {
    pattern: /^\/queues\/([^/]+)\/(pause|resume)$/,
    handle: async (r, [name, verb]) => {
      assertName(name, 'queue');
      if (r.ctx.readOnly)
        throw new HttpError(403, 'This dashboard is read-only: actions are turned off');
      const pause = verb === 'pause';
      const view = confirmPage(r.ctx, {
        title: `${pause ? 'Pause' : 'Resume'} queue ${name}?`,
        question: pause
          ? `Workers stop starting jobs of queue ${name} within a poll interval; running jobs finish.`
          : `Workers start jobs of queue ${name} again.`,
        action: `/queues/${segment(name!)}/${verb}`,
        button: pause ? 'Pause queue' : 'Resume queue',
        back: '/',
      });
      send(r.res, 200, 'text/html; charset=utf-8', view.toString());
    },
  },
];

export const flowActions: Action[] = [
  {
    pattern: /^\/queues\/([^/]+)\/(pause|resume)$/,
    confirmPath: ([name, verb]) => `/queues/${segment(name!)}/${verb}`,
    run: async (r, [name, verb]) => {
      const queue = assertName(name, 'queue');
      if (verb === 'pause') await r.queue.pause(queue);
      else await r.queue.resume(queue);
      return {
        location: '/',
        flash: {
          kind: 'ok',
          text:
            verb === 'pause'
              ? `Queue ${queue} paused: no new jobs start; running jobs finish.`
              : `Queue ${queue} resumed.`,
        },
      };
    },
  },
];
