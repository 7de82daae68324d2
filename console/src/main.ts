/**
 * The web console: asks for the API key (kept in this tab's sessionStorage only), then shows
 * the budget, the jobs and, for a finished job, its review queue and export.
 */
import { API_ROOT, api, key, QUIZ } from './api.ts';
import { $, say, usd } from './dom.ts';
import { initJobs, refreshJobs } from './jobs.ts';
import { initReview, openSource } from './review.ts';

async function showBudget(): Promise<void> {
  const budget = await api<{
    monthly_usd: number | null;
    month: string;
    spent_usd: number;
    remaining_usd: number | null;
  }>('GET', `${QUIZ.slice(API_ROOT.length)}/budget`);
  $('budget').textContent =
    budget.monthly_usd === null
      ? `Spent ${usd(budget.spent_usd)} in ${budget.month}; no monthly budget set.`
      : `Spent ${usd(budget.spent_usd)} of ${usd(budget.monthly_usd)} in ${budget.month}; ${usd(budget.remaining_usd)} left.`;
}

async function enter(): Promise<void> {
  try {
    await showBudget();
  } catch (error) {
    key.clear();
    $('main').hidden = true;
    $('forget-key').hidden = true;
    say(`That key did not work: ${(error as Error).message}`, true);
    $('api-key').focus();
    return;
  }
  $('main').hidden = false;
  $('forget-key').hidden = false;
  say('Signed in with your API key.');
  await refreshJobs();
}

function init(): void {
  initJobs(openSource, showBudget);
  initReview();
  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $<HTMLInputElement>('api-key');
    key.set(input.value.trim());
    input.value = '';
    void enter();
  });
  $('forget-key').addEventListener('click', () => {
    key.clear();
    $('main').hidden = true;
    $('forget-key').hidden = true;
    say('Key forgotten.');
  });
  if (key.get()) void enter();
  // Measured by `npm run bench`: the first render is the key form, then (with a key) the jobs.
  performance.mark('console-ready');
}

init();
