import { Command } from 'commander';
import { badNets } from '../../attacks/badnets';
import type { BackendName } from '../../backend/select_backend';
import { selectBackend } from '../../backend/select_backend';
import { loadFashionMnist } from '../../data/fashion_mnist';
import { purify } from '../../defenses/tsbd';
import { der } from '../../metrics/der';
import { evaluate } from '../../metrics/evaluate';
import { buildModel } from '../../models/registry';
import { trainClassifier } from '../../training/train_classifier';
import { logLine, stderrProgress } from '../progress';
import { parseFraction, parsePositiveInt, parseSeed, printResult, seededSample } from '../options';

interface DemoCliOptions {
  seed: number;
  epochs: number;
  cleanFraction: number;
  json: boolean;
  quiet: boolean;
}

/**
 * `tsbd demo`: the whole story on the committed Fashion-MNIST subset: train the default model (preact-resnet-s)
 * with BadNets at 10% poisoning, purify it with TSBD (n chosen automatically from the clean set), evaluate both.
 */
export function demoCommand(backend: () => BackendName): Command {
  return new Command('demo')
    .description('attack, purify and evaluate on the committed Fashion-MNIST subset')
    .option('--seed <s>', 'seed for everything', parseSeed, 0)
    .option('--epochs <n>', 'epochs to train the backdoored model', parsePositiveInt, 2)
    .option('--clean-fraction <f>', "share of the training split the defender holds, clean", parseFraction, 0.1)
    .option('--json', 'print one JSON object on stdout', false)
    .option('--quiet', 'no progress on stderr', false)
    .action(async (opts: DemoCliOptions) => {
      const t0 = performance.now();
      const used = await selectBackend(backend());
      logLine(opts.quiet, `backend ${used}`);
      const { train, test, source } = loadFashionMnist('subset');
      logLine(opts.quiet, `data ${source}: ${train.count} train, ${test.count} test images`);
      const attack = badNets({ rate: 0.1, target: 0, seed: opts.seed });
      const model = buildModel('preact-resnet-s', {
        inputShape: [train.height, train.width, train.channels],
        numClasses: train.numClasses,
        seed: opts.seed,
      });
      try {
        await trainClassifier(model, attack.poison(train).set, {
          epochs: opts.epochs,
          seed: opts.seed,
          onEpochEnd: (e, loss, acc) =>
            logLine(opts.quiet, `attack epoch ${e + 1}/${opts.epochs}: loss ${loss.toFixed(4)} acc ${acc?.toFixed(4)}`),
        });
        const attackSeconds = (performance.now() - t0) / 1000;
        const before = await evaluate(model, test, attack);
        logLine(opts.quiet, `backdoored: acc ${before.acc.toFixed(4)} asr ${before.asr.toFixed(4)} (${attackSeconds.toFixed(1)} s)`);
        const clean = seededSample(train, Math.round(opts.cleanFraction * train.count), opts.seed + 100);
        const { model: purified, report } = await purify(model, clean, {
          seed: opts.seed,
          events: stderrProgress(opts.quiet),
        });
        try {
          const after = await evaluate(purified, test, attack);
          const s = report.seconds;
          printResult(opts.json, {
            before: { acc: before.acc, asr: before.asr, ra: before.ra },
            after: { acc: after.acc, asr: after.asr, ra: after.ra },
            der: der(before, after),
            n: report.fraction,
            seconds: {
              attack: attackSeconds,
              unlearn: s.unlearn,
              select: s.select,
              reinit: s.reinit,
              finetune: s.finetune,
              extrapolate: s.extrapolate,
              total: (performance.now() - t0) / 1000,
            },
            backend: used,
          });
        } finally {
          purified.dispose();
        }
      } finally {
        model.dispose();
      }
    });
}
