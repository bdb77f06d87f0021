-- wrk script for benchmarks/bench_http.py: POST /api/v1/submissions with a unique person per
-- request (e-mail, phone) and a unique Idempotency-Key, as the ru-design-studio order form.
--
--   wrk -t2 -c32 -d20s -s benchmarks/bench_http_submit.lua http://127.0.0.1:8000 -- \
--       submit <document_version> <content_hash> <base> <stride> <out_file>
--
-- mode "submit" posts to /api/v1/submissions; mode "trivial" builds the same request but sends
-- it as GET /.well-known/gpc.json (a constant answer): the ceiling of wrk plus this script.
-- Person n = base + (thread - 1) * stride + i: e-mail bench.n@example.ru, phone +7 916 nnn-nn-nn
-- (n mod 10^7). done() writes one JSON line to <out_file>: status counts, requests sent and
-- answered, the subject_ref of every 201 and wrk's latency percentiles.

local counter = 1
local threads = {}

function setup(thread)
   thread:set("id", counter)
   table.insert(threads, thread)
   counter = counter + 1
end

local BODY = '{"form_id":"order-form","language":"ru",'
   .. '"page_url":"https://liniya-i-tsvet.example/order",'
   .. '"fields":{"user.name":"Марина Соколова","user.contact.email":"bench.%d@example.ru",'
   .. '"user.contact.phone_number":"+7 916 %03d-%02d-%02d",'
   .. '"user.content.private":"Нужен логотип для кофейни"},'
   .. '"purposes":["order_details","newsletters"],'
   .. '"consents":{"newsletters":{"given":true,"document_version":%d,"content_hash":"%s"}}}'

function init(args)
   mode = args[1]
   version = tonumber(args[2])
   hash = args[3]
   first = tonumber(args[4]) + (id - 1) * tonumber(args[5])
   out_file = args[6]
   sent = 0
   answered = 0
   statuses = {}
   refs = {}
   if mode == "trivial" then
      method, path = "GET", "/.well-known/gpc.json"
   else
      method, path = "POST", "/api/v1/submissions"
   end
end

function request()
   local n = first + sent
   sent = sent + 1
   local digits = n % 10000000
   local body = string.format(
      BODY, n, math.floor(digits / 10000), math.floor(digits / 100) % 100, digits % 100,
      version, hash
   )
   local headers = {
      ["Content-Type"] = "application/json",
      ["Idempotency-Key"] = "bench-" .. n,
      ["User-Agent"] = "lawful-bench-http/wrk",
   }
   return wrk.format(method, path, headers, body)
end

function response(status, headers, body)
   answered = answered + 1
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
   if status == 201 then
      local ref = string.match(body, '"subject_ref":"([^"]+)"')
      if ref then
         refs[#refs + 1] = ref
      end
   end
end

function done(summary, latency, requests)
   local sent_total, answered_total, out = 0, 0, nil
   local counts, all_refs = {}, {}
   for _, thread in ipairs(threads) do
      sent_total = sent_total + thread:get("sent")
      answered_total = answered_total + thread:get("answered")
      out = thread:get("out_file")
      for key, value in pairs(thread:get("statuses")) do
         counts[key] = (counts[key] or 0) + value
      end
      for _, ref in ipairs(thread:get("refs")) do
         all_refs[#all_refs + 1] = '"' .. ref .. '"'
      end
   end
   local parts = {}
   for key, value in pairs(counts) do
      parts[#parts + 1] = string.format('"%s":%d', key, value)
   end
   local pct = {}
   for _, p in ipairs({50, 90, 95, 99, 99.9}) do
      pct[#pct + 1] = string.format('"%s":%.1f', tostring(p), latency:percentile(p))
   end
   local e = summary.errors
   local line = string.format(
      '{"duration_us":%d,"requests":%d,"bytes":%d,"sent":%d,"answered":%d,'
         .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
         .. '"statuses":{%s},"latency_us":{"mean":%.1f,"max":%.1f,%s},"refs":[%s]}\n',
      summary.duration, summary.requests, summary.bytes, sent_total, answered_total,
      e.connect, e.read, e.write, e.status, e.timeout,
      table.concat(parts, ","), latency.mean, latency.max, table.concat(pct, ","),
      table.concat(all_refs, ",")
   )
   local file = assert(io.open(out, "w"))
   file:write(line)
   file:close()
end
