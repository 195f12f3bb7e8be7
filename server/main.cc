// profundo-server: placeholder until the service lands (next commit).
int main() { return 0; }
