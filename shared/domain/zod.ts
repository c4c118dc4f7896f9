import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// Every schema must be created after this extension for `.openapi()` to exist on it (zod 4 adds methods at
// construction), so all schema modules import `z` from here.
extendZodWithOpenApi(z);

export { z };
