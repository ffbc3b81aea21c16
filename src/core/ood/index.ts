export * from './ood.ts';
