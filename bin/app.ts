import * as cdk from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { createApp } from '../lib/app.ts';

const { app } = createApp({ bundle: true });

// cdk-nag v3 runs as a policy-validation plugin: any unacknowledged finding fails `cdk synth`.
cdk.Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
