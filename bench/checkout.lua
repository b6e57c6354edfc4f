-- Posts prepared checkout confirmations: each line of bench/work/checkouts.tsv is
-- "<Cookie header>\t<urlencoded form body>" of a shopper stopped on the review page.
local tickets = {}
for line in io.lines("bench/work/checkouts.tsv") do
  local cookie, body = line:match("^(.-)\t(.*)$")
  tickets[#tickets + 1] = {cookie = cookie, body = body}
end

local counter = 0
-- A global, not a local: setup() sets each thread's own "offset" global (a local here would
-- shadow it, both threads would post the same tickets and half the orders were duplicates).
offset = 0

function setup(thread)
  thread:set("offset", counter)
  counter = counter + 1
end

function init(args)
  index = offset
end

request = function()
  index = index + 2  -- two wrk threads take alternate tickets
  local ticket = tickets[(index % #tickets) + 1]
  return wrk.format("POST", nil, {
    ["Cookie"] = ticket.cookie,
    ["Connection"] = "close",
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, ticket.body)
end

dofile("bench/report.lua")  -- the p95 line (a done() hook)
