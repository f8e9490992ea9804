from fusioncell.cell import Cell


def test_append_and_verify(cell: Cell, enroll) -> None:
    sy = enroll("SY", "sy-liaison")
    r = sy.client.post("cell.message.posted", "thread-1", ["SY", "US"], {"text": "مرحبا", "lang": "ar"})
    assert r.index == 2  # 0 charter, 1 key registration
    r2 = sy.client.post("cell.message.posted", "thread-1", ["IL", "SY", "US"], {"text": "hi", "lang": "en"})
    assert r2.index == 3
