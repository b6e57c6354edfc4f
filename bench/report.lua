-- wrk's --latency distribution stops at 90% and 99%: print the p95 too (microseconds), read
-- by bench/run.py. Scripts with their own request() (checkout.lua) load this file for it.
done = function(summary, latency, requests)
  for _, p in ipairs({50, 95, 99}) do
    io.write(string.format("p%d_us %d\n", p, latency:percentile(p)))
  end
end
