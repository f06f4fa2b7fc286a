"""An event accepted over HTTP is stored before the answer: the credit process killed right after its 202 (and
cut off from the broker, so it could not have published it) still delivers it, from its store, once a credit
process runs again."""

import json
from pathlib import Path
from urllib.parse import urlparse

import httpx

from services.credit.intake import STRUCTURED
from tests.credit.conftest import payment
from tests.faults.proxy import CuttableProxy
from tests.faults.test_chaos import Credit, a_store
from tests.support import delete_services, eventually, listening

TOKEN = "erp-token-0123456789abcdef"


async def test_killed_right_after_answering_202_the_event_is_still_delivered(
        tmp_path: Path, amqp_url: str, unique: str) -> None:
    broker = urlparse(amqp_url)
    proxy = await CuttableProxy(broker.hostname or "127.0.0.1", broker.port or 5672).start()
    via_proxy = amqp_url.replace(f":{broker.port or 5672}", f":{proxy.port}")
    paid = payment("cust-killed", f"PAY-{unique}", 12_345)
    with a_store(tmp_path) as store:
        env = {"MONGO_URL": store.url, "CRM_INSTANCE": unique, "CRM_ENV": "test", "LOG_LEVEL": "WARNING",
               "CREDIT_INTAKE_SOURCES": json.dumps({"erp": {"token": TOKEN}})}
        first, second = Credit("first", env | {"AMQP_URL": via_proxy}, tmp_path), Credit("second", env | {
            "AMQP_URL": amqp_url}, tmp_path)
        try:
            async with httpx.AsyncClient(timeout=10) as http, listening(amqp_url, "payment.received") as published:
                first.start()
                await eventually(lambda: first.ready(http), timeout_s=60)
                await proxy.cut()  # the broker is gone for the first process: it cannot publish anything now
                answer = await http.post(f"http://127.0.0.1:{first.port}/events", content=json.dumps(paid),
                                         headers={"content-type": STRUCTURED, "x-source": "erp",
                                                  "authorization": f"Bearer {TOKEN}"})
                assert answer.status_code == 202, answer.text
                first.kill()
                assert not [e for e in published if e["id"] == paid["id"]]

                second.start()  # the same store, the broker within reach
                [delivered] = await eventually(lambda: [e for e in published if e["id"] == paid["id"]], timeout_s=60)
            assert (delivered["source"], delivered["data"]["amountFen"]) == ("erp", 12_345)
        except BaseException:
            for process in (first, second):
                print(f"--- {process.name}\n{process.tail()}")
            raise
        finally:
            for process in (first, second):
                process.stop()
            await delete_services(amqp_url, f"credit.{unique}")
