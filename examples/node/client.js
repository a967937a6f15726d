#!/usr/bin/env node
// A department's first Grid+ client: its overdue petitions, new assignments as they come, and
// reports to the whistles that summon it. The same commands and output as the Python example.
//
//   node client.js overdue
//   node client.js watch [--after CHANGE_ID] [--seconds S]
//   node client.js whistles
//   node client.js report WHISTLE_ID --note TEXT
//
// Settings from the environment:
//   GRIDPLUS_TOKEN          bearer token of the department's staff (required)
//   GRIDPLUS_DISPATCH_ADDR  dispatch's gRPC address (default 127.0.0.1:50053)
//   GRIDPLUS_TLS            1 to call over TLS (the city's ingress), else plaintext
//   GRIDPLUS_PROTOS         the protos/ directory (default: ../../protos from this file)
//
// Prints one JSON object per line on stdout, progress and errors on stderr; exits 1 on a
// refused call. @grpc/proto-loader reads the .proto files when it starts: no generated code.
'use strict';

const crypto = require('node:crypto');
const path = require('node:path');
const { parseArgs } = require('node:util');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PAGE_SIZE = 100;

function dispatchClient() {
  const token = process.env.GRIDPLUS_TOKEN;
  if (!token) {
    fail("GRIDPLUS_TOKEN is not set: the department's bearer token");
  }
  const protos = process.env.GRIDPLUS_PROTOS || path.join(__dirname, '..', '..', 'protos');
  const definition = protoLoader.loadSync('gridplus/dispatch/v1/dispatch.proto', {
    includeDirs: [protos],
    keepCase: true, // field names as in the .proto files (petition_id, not petitionId)
    longs: String, // int64 change ids arrive as strings: no precision lost
    enums: String, // LIGHT_RED rather than 3
    defaults: true,
  });
  const { DispatchService } = grpc.loadPackageDefinition(definition).gridplus.dispatch.v1;
  const address = process.env.GRIDPLUS_DISPATCH_ADDR || '127.0.0.1:50053';
  const credentials = process.env.GRIDPLUS_TLS === '1'
    ? grpc.credentials.createSsl()
    : grpc.credentials.createInsecure();
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return { client: new DispatchService(address, credentials), metadata };
}

// A google.protobuf.Timestamp as its JSON form (RFC 3339, 0, 3, 6 or 9 fraction digits), the
// same text Python's Timestamp.ToJsonString() gives.
function timestamp(value) {
  if (!value) {
    return '1970-01-01T00:00:00Z';
  }
  const seconds = Number(value.seconds);
  const nanos = value.nanos || 0;
  const whole = new Date(seconds * 1000).toISOString().slice(0, 19);
  let fraction = '';
  if (nanos % 1e9 !== 0) {
    const digits = String(nanos).padStart(9, '0');
    fraction = '.' + (nanos % 1e6 === 0 ? digits.slice(0, 3)
      : nanos % 1e3 === 0 ? digits.slice(0, 6) : digits);
  }
  return `${whole}${fraction}Z`;
}

// The fields a department's tool shows of an assignment (the same as the Python example).
function assignmentLine(a) {
  return {
    petition_id: a.petition_id,
    department_code: a.department_code,
    category: a.category,
    grid_code: a.grid ? a.grid.code : '',
    assignee_id: a.assignee_id,
    step: a.step,
    deadline: timestamp(a.deadline),
    light: a.light,
  };
}

function emit(line) {
  process.stdout.write(JSON.stringify(line) + '\n');
}

function unary(client, method, request, metadata) {
  const deadline = new Date(Date.now() + 10000);
  return new Promise((resolve, reject) => {
    client[method](request, metadata, { deadline }, (error, response) =>
      (error ? reject(error) : resolve(response)));
  });
}

// Every overdue assignment of the caller's department, most overdue first, page by page.
async function overdue({ client, metadata }) {
  let pageToken = '';
  do {
    const request = { page_size: PAGE_SIZE, page_token: pageToken };
    const page = await unary(client, 'ListOverdue', request, metadata);
    page.assignments.forEach((a) => emit(assignmentLine(a)));
    pageToken = page.next_page_token;
  } while (pageToken);
}

// New and changed assignments of the caller's department as they are committed. Resumes after
// `after` (the last change_id printed) so a restart misses nothing; stops on Ctrl-C or SIGTERM,
// or after `seconds`.
function watch({ client, metadata }, after, seconds) {
  const options = seconds ? { deadline: new Date(Date.now() + seconds * 1000) } : {};
  const stream = client.WatchAssignments({ after_change_id: after }, metadata, options);
  const stop = () => stream.cancel();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stderr.write(`watching assignments after change ${Number(after) ? after : 'now'}\n`);
  return new Promise((resolve, reject) => {
    stream.on('data', (change) => emit({
      change_id: Number(change.change_id),
      closed: change.closed,
      ...assignmentLine(change.assignment),
    }));
    stream.on('error', (error) => {
      const ended = [grpc.status.CANCELLED, grpc.status.DEADLINE_EXCEEDED];
      return ended.includes(error.code) ? resolve() : reject(error);
    });
    stream.on('end', resolve);
  });
}

// The whistles summoning the caller's department on which a report is still owed (by it or by
// another summoned department), newest first, each with every department's obligation.
async function whistles({ client, metadata }) {
  const request = { open_only: true, page_size: PAGE_SIZE };
  const answer = await unary(client, 'ListWhistles', request, metadata);
  answer.whistles.forEach((whistle) => emit({
    whistle_id: whistle.whistle_id,
    petition_id: whistle.petition_id,
    reason: whistle.reason,
    blown_at: timestamp(whistle.blown_at),
    reports: whistle.reports.map((owed) => ({
      department_code: owed.department_code,
      deadline: timestamp(owed.deadline),
      reported_at: owed.reported_at ? timestamp(owed.reported_at) : '',
    })),
  }));
}

// Reports (报到) the caller's department to a whistle that summoned it; retried safely.
async function report({ client, metadata }, whistleId, note) {
  // The same request_id on a retry: the report is recorded once.
  const request = { whistle_id: whistleId, note, request_id: crypto.randomUUID() };
  let answer;
  for (let attempt = 0; ; attempt += 1) {
    try {
      answer = await unary(client, 'ReportToWhistle', request, metadata);
      break;
    } catch (error) {
      if (error.code !== grpc.status.UNAVAILABLE || attempt === 2) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
    }
  }
  const { whistle } = answer;
  whistle.reports.filter((owed) => owed.reported_at).forEach((owed) => emit({
    whistle_id: whistle.whistle_id,
    petition_id: whistle.petition_id,
    department_code: owed.department_code,
    reported_at: timestamp(owed.reported_at),
    deadline: timestamp(owed.deadline),
    on_time: answer.on_time,
  }));
}

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

async function main() {
  const usage = 'usage: client.js overdue | watch [--after ID] [--seconds S] | whistles'
    + ' | report WHISTLE_ID --note TEXT';
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { after: { type: 'string' }, seconds: { type: 'string' }, note: { type: 'string' } },
  });
  const [command, whistleId] = positionals;
  const dispatch = dispatchClient();
  try {
    if (command === 'overdue') {
      await overdue(dispatch);
    } else if (command === 'watch') {
      await watch(dispatch, values.after || '0', Number(values.seconds || 0));
    } else if (command === 'whistles') {
      await whistles(dispatch);
    } else if (command === 'report' && whistleId && values.note) {
      await report(dispatch, whistleId, values.note);
    } else {
      fail(usage);
    }
  } catch (error) {
    const name = Object.keys(grpc.status).find((key) => grpc.status[key] === error.code);
    process.stderr.write(`error: ${name || 'UNKNOWN'}: ${error.details || error.message}\n`);
    process.exitCode = 1;
  } finally {
    dispatch.client.close();
  }
}

main();
