/**
 * An engine graph as the console draws it: the same parsed graph `router engine graph` renders as
 * Mermaid, turned into nodes, edges and scopes (a scope per Parallel branch and Map item processor) that
 * the browser lays out with dagre. Node ids are scope paths: `Par/1/Inner` is state Inner in branch 1 of
 * Parallel Par, and a Map's item processor is the scope named by the Map's id and a star.
 */
import { describeRule, type EngineGraph, type StateMachine } from '../asl/index.ts';
import type { GraphEdge, GraphModel, GraphNode, GraphScope } from './types.ts';

/** The id of state `name` in `scope`. */
export function nodeId(scope: string, name: string): string {
  return scope === '' ? name : `${scope}/${name}`;
}

/** Builds the drawable model of a graph. */
export function graphModel(graph: EngineGraph): GraphModel {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const scopes: GraphScope[] = [{ id: '', label: graph.Comment ?? 'execution' }];

  const walk = (machine: StateMachine, scope: string): void => {
    const start = nodeId(scope, '(start)');
    const end = nodeId(scope, '(end)');
    nodes.push({ id: start, name: 'start', type: 'start', scope });
    edges.push({ from: start, to: nodeId(scope, machine.StartAt), kind: 'next' });
    let ends = false;
    for (const [name, state] of Object.entries(machine.States)) {
      const id = nodeId(scope, name);
      const children: string[] = [];
      if (state.Type === 'Parallel') {
        state.Branches.forEach((branch, index) => {
          const child = `${id}/${index}`;
          scopes.push({ id: child, label: `${name}: branch ${index + 1}`, owner: id });
          children.push(child);
          walk(branch, child);
        });
      }
      if (state.Type === 'Map') {
        const processor = state.ItemProcessor ?? state.Iterator;
        if (processor !== undefined) {
          const child = `${id}/*`;
          scopes.push({ id: child, label: `${name}: for each item`, owner: id });
          children.push(child);
          walk(processor, child);
        }
      }
      nodes.push({ id, name, type: state.Type, scope, ...(children.length > 0 ? { children } : {}) });
      if ('Next' in state && state.Next !== undefined)
        edges.push({ from: id, to: nodeId(scope, state.Next), kind: 'next' });
      if (('End' in state && state.End === true) || state.Type === 'Succeed' || state.Type === 'Fail') {
        edges.push({ from: id, to: end, kind: 'next' });
        ends = true;
      }
      if (state.Type === 'Choice') {
        for (const rule of state.Choices) {
          if (rule.Next !== undefined)
            edges.push({ from: id, to: nodeId(scope, rule.Next), kind: 'choice', label: describeRule(rule) });
        }
        if (state.Default !== undefined)
          edges.push({ from: id, to: nodeId(scope, state.Default), kind: 'default', label: 'default' });
      }
      if ('Catch' in state && state.Catch !== undefined) {
        for (const catcher of state.Catch)
          edges.push({
            from: id,
            to: nodeId(scope, catcher.Next),
            kind: 'catch',
            label: catcher.ErrorEquals.join(', '),
          });
      }
    }
    if (ends) nodes.push({ id: end, name: 'end', type: 'end', scope });
  };
  walk(graph, '');
  return { nodes, edges, scopes };
}
