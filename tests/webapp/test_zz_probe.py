import time
from webapp import create_app
from workflows import accounts
from workflows.errors import AuthFailed, RateLimited

def test_probe(sqlite_db):
    db = sqlite_db
    t=time.time()
    for i in range(11):
        try:
            accounts.authenticate(db, "clerk1", "wrong")
        except (AuthFailed, RateLimited) as e:
            print(i, type(e).__name__)
    print("t", time.time()-t)
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "WTF_CSRF_ENABLED": False}, db=db)
    c = app.test_client()
    print(app.config["MAX_CONTENT_LENGTH"], app.config.get("REDIS_URL"))
    for p in ["/api/v1/nope", "/api/v1/nominations"]:
        r = c.get(p); print(p, r.status_code, r.get_data(as_text=True)[:200])
    r = c.delete("/api/v1/nominations"); print(r.status_code, r.get_data(as_text=True)[:200])
    r = c.post("/api/v1/auth/token", data="{bad", content_type="application/json"); print(r.status_code, r.get_data(as_text=True)[:300])
    r = c.post("/api/v1/auth/token", json={"username":"clerk1","password":"demo"}); print(r.status_code, r.get_data(as_text=True)[:300])
    r = c.get("/"); print(r.status_code, r.headers.get("Location"))
    t=time.time()
    r = c.post("/login", data={"username":"head1","password":"demo"}); print(r.status_code, r.headers.get("Location"), time.time()-t)
