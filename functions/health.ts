// GET /health: liveness, public.
import { lambdaHttpBase } from '../shared/app/observability.ts';
import { makeHealthHandler } from '../shared/http/handlers/health.ts';

export const handler = makeHealthHandler(lambdaHttpBase());
