#!/usr/bin/env node
/** `npm start`: the core with settings from the environment (see src/config.ts). */
import { serve } from "./serve.js";

void serve();
